// Progress over time: the signed-in user's analysed sessions of one exercise,
// oldest to newest, from the session list (GET /v1/sessions). Pure functions
// (unit-tested in test/progress.test.js) and a small SVG chart of one number
// per session.
import { enumName, num, pick } from './fields.js';
import { niceStep } from './chart.js';
import { formatNumber } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

function mean(values) {
  const present = values.filter(Number.isFinite);
  return present.length ? present.reduce((sum, v) => sum + v, 0) / present.length : undefined;
}

/** The newest complete video of a listed session, or null. */
function completeVideo(session) {
  const videos = (pick(session, 'videos', []) ?? []).filter((v) => enumName(pick(v, 'status'), 'VIDEO_STATUS_') === 'complete');
  return videos[videos.length - 1] ?? null;
}

/**
 * One point per complete session of `exerciseId` (of `userId` when given), oldest
 * first: {id, at, reps, formScore (0-100), goodReps, judgedReps, downS, upS, current}.
 * `currentId` marks the session being viewed.
 */
export function progressPoints(reply, { exerciseId, userId = '', currentId = '' } = {}) {
  const points = [];
  for (const s of pick(reply, 'sessions', []) ?? []) {
    const id = String(pick(s, 'session_id', ''));
    const video = completeVideo(s);
    if (!id || !video) continue;
    const exercise = pick(video, 'exercise_id', '') || pick(s, 'exercise_id', '');
    if (exercise !== exerciseId) continue;
    const owner = pick(s, 'user_id', '') || pick(pick(s, 'user', null), 'user_id', '');
    if (userId && owner && owner !== userId) continue;
    const result = pick(video, 'result', null) ?? {};
    const reps = pick(result, 'reps', []) ?? [];
    // Protobuf JSON leaves `false` out: once any rep says good_form, a missing one is a fault.
    const formKnown = reps.some((r) => pick(r, 'good_form') !== undefined) || (pick(result, 'form_violations', []) ?? []).length > 0;
    const score = num(pick(result, 'form_score'));
    points.push({
      id,
      at: String(pick(video, 'created_at', '') || pick(s, 'created_at', '')),
      reps: num(pick(result, 'rep_count')) ?? reps.length,
      formScore: score === undefined ? (formKnown ? 0 : undefined) : score * 100,
      goodReps: formKnown ? reps.filter((r) => pick(r, 'good_form') === true).length : undefined,
      judgedReps: formKnown ? reps.length : undefined,
      downS: mean(reps.map((r) => num(pick(r, 'eccentric_s'))).filter((v) => v > 0)),
      upS: mean(reps.map((r) => num(pick(r, 'concentric_s'))).filter((v) => v > 0)),
      current: id === currentId,
    });
  }
  return points.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

/**
 * Short x-axis labels of the points: the day ("5 Dec"), with the time where two
 * sessions share a day ("5 Dec 14:05"); "#n" when a date is unknown.
 */
export function progressLabels(points, locale = undefined) {
  const day = (p) => {
    const t = new Date(p.at).getTime();
    return Number.isFinite(t) ? new Date(t).toLocaleDateString(locale, { month: 'short', day: 'numeric' }) : '';
  };
  const days = points.map(day);
  return points.map((p, i) => {
    if (!days[i]) return `#${i + 1}`;
    if (days.filter((d) => d === days[i]).length < 2) return days[i];
    const time = new Date(p.at).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
    return `${days[i]} ${time}`;
  });
}

/** Whether there is progress to show (two sessions at least). */
export function hasProgress(points) {
  return points.length >= 2;
}

/** "Form 83% · 5 of 6 reps good" / "–". */
export function formText(point) {
  const parts = [];
  if (Number.isFinite(point.formScore)) parts.push(`${formatNumber(point.formScore, 0)}%`);
  if (Number.isFinite(point.judgedReps) && point.judgedReps > 0) {
    parts.push(`${point.goodReps} of ${point.judgedReps} ${point.judgedReps === 1 ? 'rep' : 'reps'} good`);
  }
  return parts.join(' · ') || '–';
}

/** "1.9 s down · 1.1 s up" / "–". */
export function tempoText(point) {
  const parts = [];
  if (Number.isFinite(point.downS)) parts.push(`${formatNumber(point.downS, 1)} s down`);
  if (Number.isFinite(point.upS)) parts.push(`${formatNumber(point.upS, 1)} s up`);
  return parts.join(' · ') || '–';
}

/** The change between the first and the last session, in words ("+2 reps since 5 Dec"). */
export function trendText(points, key, unit, since) {
  const values = points.map((p) => p[key]).filter(Number.isFinite);
  if (values.length < 2) return '';
  const change = values[values.length - 1] - values[0];
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${formatNumber(Math.abs(change), 0)}${unit} since ${since}`;
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/**
 * A small line chart of one number per session (x: sessions in order, labelled
 * `labels`), the current session drawn larger. A picture with a text label: the
 * table beside it carries the same numbers for keyboards and screen readers.
 */
export function drawProgressChart(container, { title, values, labels, currentIndex = -1, unit = '', color = '#0b6bcb', width }) {
  container.replaceChildren();
  const W = Math.max(240, Math.round(width ?? container.clientWidth ?? 360));
  const H = 150;
  const pad = { left: 36, right: 12, top: 14, bottom: 26 };
  const present = values.filter(Number.isFinite);
  // From 0 (a count or a score), to 100 for a percentage; whole-number ticks.
  const lo = 0;
  const top = unit === '%' ? 100 : Math.max(1, ...present);
  const step = Math.max(1, niceStep(top - lo, 3));
  const hi = Math.max(step, Math.ceil(top / step) * step);
  const x = (i) => pad.left + (values.length > 1 ? (i / (values.length - 1)) * (W - pad.left - pad.right) : (W - pad.left - pad.right) / 2);
  const y = (v) => H - pad.bottom - ((v - lo) / (hi - lo || 1)) * (H - pad.top - pad.bottom);
  const spoken = values.map((v, i) => `${labels[i]}: ${Number.isFinite(v) ? `${formatNumber(v, 0)}${unit}` : 'none'}`).join(', ');
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'progress-svg', role: 'img', 'aria-label': `${title} per session, oldest first: ${spoken}` });
  el('title', {}, svg).textContent = title;
  const grid = el('g', { class: 'grid' }, svg);
  for (let v = lo; v <= hi + step / 2; v += step) {
    el('line', { x1: pad.left, x2: W - pad.right, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }, grid);
    const label = el('text', { x: pad.left - 6, y: (y(v) + 4).toFixed(1), 'text-anchor': 'end' }, grid);
    label.textContent = `${formatNumber(v, 0)}${unit}`;
  }
  // Date labels: all of them when they fit, else the first, the last and the current.
  const labelW = Math.max(0, ...labels.map((l) => String(l).length)) * 6.5 + 10;
  const fits = values.length * labelW <= W - pad.left - pad.right + labelW;
  labels.forEach((text, i) => {
    if (!fits && i !== 0 && i !== labels.length - 1 && i !== currentIndex) return;
    const label = el('text', { x: x(i).toFixed(1), y: H - 8, 'text-anchor': values.length === 1 ? 'middle' : i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle' }, grid);
    label.textContent = text;
  });
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
  });
  el('path', { class: 'series', d, stroke: color }, svg);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const current = i === currentIndex;
    el('circle', { class: current ? 'point current' : 'point', cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: current ? 6 : 3.5, fill: current ? '#fff' : color, stroke: color, 'stroke-width': current ? 3 : 1 }, svg);
  });
  container.append(svg);
}
