// A small SVG time-series chart: lines with gaps, one shaded band per rep,
// phase labels, and a playhead that follows the video.

const SVG = 'http://www.w3.org/2000/svg';
const DEFAULT_WIDTH = 800;
const DEFAULT_HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 14, bottom: 26 };
export const PALETTE = ['#0b6bcb', '#d4461c', '#2e8540', '#8a3ffc', '#b28600'];

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/** Round tick step (1, 2, 5 x 10^n) giving about `count` ticks over `span`. */
export function niceStep(span, count) {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const r = raw / magnitude;
  const nice = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
  return nice * magnitude;
}

/** Path data with a new sub-path after every gap (null/NaN value). */
export function linePath(xs, ys) {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || Number.isNaN(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${xs[i].toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * Where a key press on a chart seeks to (ms), or null for other keys:
 * arrows +-1 s (Shift +-5 s), Home/End, Page Down/Up next/previous rep start.
 */
export function seekKey(key, shift, nowMs, endMs, reps = []) {
  const step = shift ? 5000 : 1000;
  const clamp = (t) => Math.min(endMs, Math.max(0, t));
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return clamp(nowMs + step);
    case 'ArrowLeft':
    case 'ArrowDown':
      return clamp(nowMs - step);
    case 'Home':
      return 0;
    case 'End':
      return endMs;
    case 'PageDown': {
      const next = reps.find((r) => r.startMs > nowMs + 50);
      return next ? next.startMs : clamp(nowMs);
    }
    case 'PageUp': {
      const before = reps.filter((r) => r.startMs < nowMs - 50);
      return before.length ? before[before.length - 1].startMs : 0;
    }
    default:
      return null;
  }
}

/**
 * Draws into `container`. Returns {setTime(ms)} to move the playhead.
 * onSeek(ms) is called when the user clicks a position.
 */
export function drawChart(container, { title, timesMs, lines, reps = [], phases = [], durationMs = 0, onSeek, width, height }) {
  container.replaceChildren();
  // One SVG unit per CSS pixel: labels keep their shape on any screen width
  // (`width`: a fixed width, e.g. the printed page's column).
  const WIDTH = Math.max(280, Math.round(width || container.clientWidth || DEFAULT_WIDTH));
  const HEIGHT = Math.max(120, Math.round(height || DEFAULT_HEIGHT));
  const t0 = 0;
  const t1 = Math.max(durationMs || 0, timesMs.length ? timesMs[timesMs.length - 1] : 0, 1);
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    for (const v of line.values) {
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-6) {
    lo -= 1;
    hi += 1;
  }
  const yStep = niceStep(hi - lo, 4);
  lo = Math.floor(lo / yStep) * yStep;
  hi = Math.ceil(hi / yStep) * yStep;

  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - lo) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);

  const unit = lines[0]?.unit ?? '';
  // A slider for keyboards: arrows move 1 s (Shift: 5 s), Page Up/Down jump between reps.
  const svg = el('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart-svg',
    width: WIDTH,
    height: HEIGHT,
    role: 'slider',
    tabindex: 0,
    'aria-label': `${title}: ${lines.map((l) => l.label ?? l.name).join(', ')} over time, ${reps.length} reps shaded. Arrow keys seek the video, Page Up and Page Down jump between reps`,
    'aria-valuemin': 0,
    'aria-valuemax': Math.round(t1 / 100) / 10,
    'aria-valuenow': 0,
    'aria-valuetext': '0.0 s',
  });
  el('title', {}, svg).textContent = title;

  const bands = el('g', { class: 'rep-bands' }, svg);
  for (const rep of reps) {
    const xa = x(rep.startMs);
    const xb = x(rep.endMs);
    const band = el(
      'rect',
      {
        // Alternate shades so back-to-back reps stay distinct.
        class: rep.index % 2 ? 'rep-band' : 'rep-band rep-band-alt',
        'data-rep': rep.index,
        x: xa.toFixed(1),
        y: PAD.top,
        width: Math.max(1, xb - xa).toFixed(1),
        height: HEIGHT - PAD.top - PAD.bottom,
      },
      bands,
    );
    el('title', {}, band).textContent = `Rep ${rep.index}: ${(rep.startMs / 1000).toFixed(2)}–${(rep.endMs / 1000).toFixed(2)} s`;
    const label = el('text', { class: 'rep-label', x: ((xa + xb) / 2).toFixed(1), y: PAD.top + 11, 'text-anchor': 'middle' }, bands);
    label.textContent = String(rep.index);
  }

  for (const phase of phases) {
    const xa = x(phase.startMs);
    el('line', { class: 'phase-line', x1: xa, x2: xa, y1: PAD.top, y2: HEIGHT - PAD.bottom }, svg);
    const label = el('text', { class: 'phase-label', x: xa + 3, y: HEIGHT - PAD.bottom - 4 }, svg);
    label.textContent = phase.name.replace(/_/g, ' ');
  }

  const grid = el('g', { class: 'grid' }, svg);
  for (let v = lo; v <= hi + yStep / 2; v += yStep) {
    el('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }, grid);
    const label = el('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, grid);
    label.textContent = `${Math.round(v * 100) / 100}`;
  }
  const xStep = niceStep((t1 - t0) / 1000, Math.max(3, Math.floor(WIDTH / 90)));
  for (let s = 0; s * 1000 <= t1; s += xStep) {
    const label = el('text', { x: x(s * 1000), y: HEIGHT - 8, 'text-anchor': 'middle' }, grid);
    label.textContent = `${Math.round(s * 10) / 10}s`;
  }
  if (unit) {
    const u = el('text', { x: 4, y: PAD.top + 2, class: 'unit' }, grid);
    u.textContent = unit === 'deg' ? '°' : unit;
  }

  const xs = timesMs.map(x);
  lines.forEach((line, i) => {
    const ys = line.values.map((v) => (v === null || v === undefined ? null : y(v)));
    el('path', { class: 'series', d: linePath(xs, ys), stroke: line.color ?? PALETTE[i % PALETTE.length], 'data-series': line.name }, svg);
  });

  const playhead = el('line', { class: 'playhead', x1: x(0), x2: x(0), y1: PAD.top, y2: HEIGHT - PAD.bottom }, svg);

  let nowMs = 0;
  svg.addEventListener('keydown', (event) => {
    if (!onSeek) return;
    const target = seekKey(event.key, event.shiftKey, nowMs, t1, reps);
    if (target === null) return;
    event.preventDefault();
    onSeek(target);
  });

  svg.addEventListener('click', (event) => {
    if (!onSeek) return;
    const rect = svg.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * WIDTH;
    const t = t0 + ((px - PAD.left) / (WIDTH - PAD.left - PAD.right)) * (t1 - t0);
    onSeek(Math.min(t1, Math.max(0, t)));
  });

  const legend = document.createElement('ul');
  legend.className = 'legend';
  lines.forEach((line, i) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = line.color ?? PALETTE[i % PALETTE.length];
    item.append(swatch, document.createTextNode(line.label ?? line.name));
    legend.appendChild(item);
  });

  container.append(svg, legend);
  return {
    setTime(ms) {
      nowMs = Math.min(t1, Math.max(0, ms));
      svg.setAttribute('aria-valuenow', Math.round(nowMs / 100) / 10);
      svg.setAttribute('aria-valuetext', `${(nowMs / 1000).toFixed(1)} s`);
      const px = x(Math.min(t1, Math.max(0, ms)));
      playhead.setAttribute('x1', px);
      playhead.setAttribute('x2', px);
    },
  };
}
