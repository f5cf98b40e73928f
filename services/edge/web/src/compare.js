// Two analysed sets side by side: the numbers a coach compares between sessions of
// one athlete, and one angle curve of each on a common time axis.
import { splitUnit } from './format.js';
import { repTempo } from './messages.js';

function mean(values) {
  const present = values.filter(Number.isFinite);
  return present.length ? present.reduce((sum, v) => sum + v, 0) / present.length : undefined;
}

/** "KNEE_ANGLE_DEGREES" -> { label: "Knee angle", unit: "°" }. */
function analysisName(type) {
  const words = String(type).toLowerCase().replace(/_degrees$/, '');
  const label = words.replace(/_/g, ' ');
  return { label: label.charAt(0).toUpperCase() + label.slice(1), unit: /_degrees$/i.test(type) ? '°' : '' };
}

/**
 * Rows {label, unit, a, b} of what two analysed sets (view models) share: reps, form
 * score, tempo, the mean of each per-rep measurement and the scalar metrics. A number
 * one set lacks is undefined; a row neither set has is left out.
 */
export function compareRows(a, b) {
  const rows = [];
  const add = (label, unit, va, vb) => {
    if (Number.isFinite(va) || Number.isFinite(vb)) rows.push({ label, unit, a: va, b: vb });
  };
  add('Reps', '', a.repCount, b.repCount);
  add('Form score', '%', a.formScore * 100, b.formScore * 100);
  add('Hold time', 's', a.holdTimeS, b.holdTimeS);
  const tempo = (model, key) => mean(model.reps.map((r) => repTempo(r)[key]));
  add('Mean time down', 's', tempo(a, 'downS'), tempo(b, 'downS'));
  add('Mean time up', 's', tempo(a, 'upS'), tempo(b, 'upS'));
  const duration = (model) => mean(model.reps.map((r) => (r.endMs - r.startMs) / 1000));
  add('Mean rep duration', 's', duration(a), duration(b));
  const types = [...new Set([a, b].flatMap((m) => m.reps.flatMap((r) => (r.analyses ?? []).map((x) => x.type))))].filter(Boolean);
  for (const type of types) {
    const perRep = (model) => mean(model.reps.map((r) => (r.analyses ?? []).find((x) => x.type === type)?.value));
    const { label, unit } = analysisName(type);
    add(`${label} (mean per rep)`, unit, perRep(a), perRep(b));
  }
  for (const key of [...new Set([...Object.keys(a.metrics ?? {}), ...Object.keys(b.metrics ?? {})])].sort()) {
    const { label, unit } = splitUnit(key);
    add(label, unit, a.metrics?.[key], b.metrics?.[key]);
  }
  return rows;
}

/** Linear interpolation of (timesMs, values) at each time of `gridMs` (undefined outside). */
export function resample(timesMs, values, gridMs) {
  const out = [];
  let j = 0;
  for (const t of gridMs) {
    while (j + 1 < timesMs.length && timesMs[j + 1] < t) j += 1;
    const [t0, t1, v0, v1] = [timesMs[j], timesMs[j + 1], values[j], values[j + 1]];
    if (t0 === t) out.push(Number.isFinite(v0) ? v0 : undefined);
    else if (t1 === undefined || t < t0 || !Number.isFinite(v0) || !Number.isFinite(v1)) out.push(undefined);
    else out.push(v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
  }
  return out;
}

/**
 * One series both sets have (the first of `preferred` that both carry), each on a grid
 * of `stepMs` from its set's start: {name, timesMs, a, b}, or null when none is shared.
 */
export function sharedCurve(a, b, preferred, stepMs = 50) {
  const name = preferred.find((n) => a.series?.[n] && b.series?.[n]);
  if (!name) return null;
  const end = Math.max(a.timesMs[a.timesMs.length - 1] ?? 0, b.timesMs[b.timesMs.length - 1] ?? 0);
  const timesMs = [];
  for (let t = 0; t <= end; t += stepMs) timesMs.push(t);
  return {
    name,
    timesMs,
    a: resample(a.timesMs, a.series[name].values, timesMs),
    b: resample(b.timesMs, b.series[name].values, timesMs),
  };
}
