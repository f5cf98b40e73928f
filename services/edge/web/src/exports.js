// Downloadable files built from the view model: keypoints and angles as JSON
// and CSV, one row per rep as CSV, and a .trc marker file for OpenSim.
import { JOINTS } from './joints.js';
import { repTempo } from './messages.js';

function csvCell(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  const s = typeof value === 'number' ? String(Math.round(value * 1e4) / 1e4) : String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows) {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Joints present in any frame, in COCO order first, then any others. */
function jointNames(frames) {
  const seen = new Set();
  for (const f of frames) for (const j of Object.keys(f.points)) seen.add(j);
  return [...JOINTS.filter((j) => seen.has(j)), ...[...seen].filter((j) => !JOINTS.includes(j))];
}

export function keypointsJson(model) {
  const { width, height, frames } = model.joints;
  return JSON.stringify(
    {
      video_id: model.id,
      activity: model.activity,
      resolution: { width, height },
      units: 'px',
      frames: frames.map((f) => ({
        frame_index: f.frame,
        timestamp_s: f.t,
        keypoints: Object.fromEntries(
          Object.entries(f.points).map(([j, p]) => [j, { x: p.x, y: p.y, score: p.score }]),
        ),
      })),
    },
    null,
    2,
  );
}

export function keypointsCsv(model) {
  const { frames } = model.joints;
  const names = jointNames(frames);
  const header = ['frame_index', 'timestamp_s'];
  for (const j of names) header.push(`${j}_x`, `${j}_y`, `${j}_score`);
  const rows = [header];
  for (const f of frames) {
    const row = [f.frame, f.t];
    for (const j of names) {
      const p = f.points[j];
      row.push(p?.x, p?.y, p?.score);
    }
    rows.push(row);
  }
  return csv(rows);
}

export function anglesJson(model) {
  return JSON.stringify(
    {
      video_id: model.id,
      activity: model.activity,
      source: model.seriesSource,
      timestamps_ms: model.timesMs,
      series: model.series,
      reps: model.reps.map(({ index, startMs, midMs, endMs }) => ({
        index,
        start_ms: startMs,
        mid_ms: midMs,
        end_ms: endMs,
      })),
    },
    null,
    2,
  );
}

export function anglesCsv(model) {
  const names = Object.keys(model.series);
  const rows = [['timestamp_ms', ...names.map((n) => `${n}_${model.series[n].unit || 'value'}`)]];
  model.timesMs.forEach((t, i) => {
    rows.push([t, ...names.map((n) => model.series[n].values[i])]);
  });
  return csv(rows);
}

/** One row per rep: timing, tempo, form and each per-rep measurement, for a spreadsheet. */
export function repsCsv(model) {
  const types = [...new Set(model.reps.flatMap((r) => (r.analyses ?? []).map((a) => a.type)))].filter(Boolean);
  const rows = [['rep', 'start_s', 'bottom_s', 'end_s', 'down_s', 'up_s', 'duration_s', 'good_form', ...types.map((t) => t.toLowerCase())]];
  for (const rep of model.reps) {
    const { downS, upS } = repTempo(rep);
    const value = (type) => (rep.analyses ?? []).find((a) => a.type === type)?.value;
    rows.push([
      rep.index,
      rep.startMs / 1000,
      rep.midMs / 1000,
      rep.endMs / 1000,
      downS,
      upS,
      (rep.endMs - rep.startMs) / 1000,
      rep.goodForm === undefined ? '' : rep.goodForm ? 'yes' : 'no',
      ...types.map(value),
    ]);
  }
  return csv(rows);
}

/**
 * A download name that says what the file holds: exercise, the upload's own name and
 * its date, e.g. `squat_monday-set-2_2026-12-05` (letters, digits, '-' and '_' only).
 */
export function downloadBase(model, uploadName = '', createdAt = '') {
  const slug = (text) =>
    String(text ?? '')
      .replace(/\.[a-z0-9]{2,4}$/i, '')
      .normalize('NFKD')
      .replace(/[^\w-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40);
  const date = /^\d{4}-\d{2}-\d{2}/.exec(String(createdAt ?? ''))?.[0] ?? '';
  const parts = [slug(model.activity) || 'exercise', slug(uploadName), date].filter(Boolean);
  return parts.length > 1 ? parts.join('_') : `${parts[0]}_${slug(model.id).slice(0, 8)}`;
}

/**
 * Pixels -> metres: the subject's standing height in pixels (nose to the lower
 * ankle, plus the ~10% of stature above the nose) is taken as `statureM`.
 * Returns null when the track never shows a confident full body.
 */
export function metresPerPixel(frames, statureM = 1.75) {
  const heights = [];
  for (const f of frames) {
    const nose = f.points.nose;
    const ankles = [f.points.leftAnkle, f.points.rightAnkle].filter((p) => p && p.score >= 0.3);
    if (!nose || nose.score < 0.3 || !ankles.length) continue;
    const ankleY = Math.max(...ankles.map((p) => p.y));
    const h = (ankleY - nose.y) * 1.1;
    if (h > 0) heights.push(h);
  }
  if (!heights.length) return null;
  heights.sort((a, b) => a - b);
  const tallest = heights[Math.floor(heights.length * 0.9)] ?? heights[heights.length - 1];
  return statureM / tallest;
}

/**
 * OpenSim .trc (marker trajectories). Image coordinates become X right, Y up,
 * Z = 0, in metres from an assumed stature (2-D video: depth is unknown).
 * Frames without a marker leave its cells empty, as OpenSim expects for gaps.
 */
export function trc(model, fileName = 'markers.trc') {
  const { height, frames } = model.joints;
  const names = jointNames(frames);
  const scale = metresPerPixel(frames) ?? 0.001;
  const n = frames.length;
  const duration = n > 1 ? frames[n - 1].t - frames[0].t : 0;
  const rate = n > 1 && duration > 0 ? (n - 1) / duration : model.fps || 30;
  const r = (v) => (Math.round(v * 1e5) / 1e5).toFixed(5);
  const lines = [];
  lines.push(`PathFileType\t4\t(X/Y/Z)\t${fileName}`);
  lines.push(
    ['DataRate', 'CameraRate', 'NumFrames', 'NumMarkers', 'Units', 'OrigDataRate', 'OrigDataStartFrame', 'OrigNumFrames'].join('\t'),
  );
  lines.push([r(rate), r(rate), n, names.length, 'm', r(rate), 1, n].join('\t'));
  lines.push(['Frame#', 'Time', ...names.flatMap((j) => [j, '', ''])].join('\t'));
  lines.push(['', '', ...names.flatMap((_, i) => [`X${i + 1}`, `Y${i + 1}`, `Z${i + 1}`])].join('\t'));
  lines.push('');
  frames.forEach((f, i) => {
    const cells = [i + 1, r(f.t - frames[0].t)];
    for (const j of names) {
      const p = f.points[j];
      if (p && p.score >= 0.3) cells.push(r(p.x * scale), r((height - p.y) * scale), r(0));
      else cells.push('', '', '');
    }
    lines.push(cells.join('\t'));
  });
  return lines.join('\n') + '\n';
}
