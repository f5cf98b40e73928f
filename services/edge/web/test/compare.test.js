import assert from 'node:assert/strict';
import test from 'node:test';

import { compareRows, resample, sharedCurve } from '../src/compare.js';

const set = (reps, extra = {}) => ({
  repCount: reps.length,
  formScore: 0.75,
  holdTimeS: undefined,
  reps,
  metrics: {},
  series: {},
  timesMs: [],
  ...extra,
});

test('two sets are compared on reps, tempo and per-rep measurements', () => {
  const a = set([
    { startMs: 0, midMs: 1000, endMs: 2000, analyses: [{ type: 'KNEE_ANGLE_DEGREES', value: 90 }] },
    { startMs: 2000, midMs: 3200, endMs: 4000, analyses: [{ type: 'KNEE_ANGLE_DEGREES', value: 100 }] },
  ]);
  const b = set([{ startMs: 0, midMs: 1500, endMs: 2500, analyses: [{ type: 'KNEE_ANGLE_DEGREES', value: 80 }] }], {
    formScore: 1,
    metrics: { jump_height_cm: 30 },
  });
  const rows = Object.fromEntries(compareRows(a, b).map((r) => [r.label, r]));
  assert.deepEqual([rows.Reps.a, rows.Reps.b], [2, 1]);
  assert.deepEqual([rows['Form score'].a, rows['Form score'].b], [75, 100]);
  assert.deepEqual([rows['Mean time down'].a, rows['Mean time down'].b], [1.1, 1.5]);
  assert.deepEqual([rows['Mean time up'].a, rows['Mean time up'].b], [0.9, 1]);
  assert.deepEqual([rows['Knee angle (mean per rep)'].a, rows['Knee angle (mean per rep)'].b], [95, 80]);
  assert.equal(rows['Knee angle (mean per rep)'].unit, '°');
  assert.deepEqual([rows['Jump height'].a, rows['Jump height'].b, rows['Jump height'].unit], [undefined, 30, 'cm']);
  assert.equal(rows['Hold time'], undefined, 'a number neither set has is left out');
});

test('a series is resampled linearly onto a grid, undefined outside it', () => {
  assert.deepEqual(resample([0, 100, 200], [10, 20, 40], [0, 50, 150, 200, 250]), [10, 15, 30, 40, undefined]);
  assert.deepEqual(resample([0, 100], [10, null], [50]), [undefined]);
});

test('the shared curve puts both sets on one time axis from their start', () => {
  const a = set([], { timesMs: [0, 100], series: { left_knee_angle: { values: [170, 90] } } });
  const b = set([], { timesMs: [0, 50, 200], series: { left_knee_angle: { values: [160, 120, 80] }, trunk: { values: [1, 2, 3] } } });
  const curve = sharedCurve(a, b, ['right_knee_angle', 'left_knee_angle'], 50);
  assert.equal(curve.name, 'left_knee_angle');
  assert.deepEqual(curve.timesMs, [0, 50, 100, 150, 200]);
  assert.deepEqual(curve.a, [170, 130, 90, undefined, undefined]);
  assert.deepEqual(curve.b, [160, 120, 106.66666666666667, 93.33333333333333, 80]);
  assert.equal(sharedCurve(a, b, ['trunk']), null);
});
