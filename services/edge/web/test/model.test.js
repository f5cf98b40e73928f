import assert from 'node:assert/strict';
import { test } from 'node:test';

import { detailFrom } from '../src/api.js';
import { linePath, niceStep } from '../src/chart.js';
import { coachLines, coachingTexts, recordedThreadIds } from '../src/coaching.js';
import { anglesCsv, downloadBase, keypointsCsv, metresPerPixel, repsCsv, trc } from '../src/exports.js';
import { enumName, pick } from '../src/fields.js';
import { splitUnit } from '../src/format.js';
import { angleAt, framesFromJ2p } from '../src/joints.js';
import { analysisState, buildViewModel } from '../src/model.js';
import { createSseParser } from '../src/sse.js';

/** A Guru j2p block: one person standing 1000 px tall in a 1000x2000 frame. */
function j2p(frames) {
  const joints = {
    nose: [0.5, 0.1],
    leftHip: [0.5, 0.5],
    leftKnee: [0.5, 0.7],
    leftAnkle: [0.5, 0.9],
    leftShoulder: [0.5, 0.3],
  };
  const jointToPoints = {};
  for (const [name, [x, y]] of Object.entries(joints)) {
    jointToPoints[name] = Array.from({ length: frames }, (_, i) => ({
      frame_idx: i,
      part: name,
      position: { x, y },
      score: 0.9,
      timestamp: i / 10,
    }));
  }
  return { status: 'Complete', resolutionWidth: 1000, resolutionHeight: 2000, jointToPoints };
}

const guru = {
  id: 's1',
  status: 'Success',
  uri: '/files/a.mp4',
  fps: 10,
  overlays: { all: { status: 'Complete', uri: '/files/all.mp4' }, skeleton: { status: 'Pending' } },
  analysis: {
    status: 'Complete',
    activity: 'squat',
    reps: [
      { startTimestampMs: 0, midTimestampMs: 100, endTimestampMs: 200, analyses: [{ analysisType: 'HIP_KNEE_ANGLE_DEGREES', analysisScalar: 12.5, analysisOpinion: 'good' }] },
      { startTimestampMs: 300, midTimestampMs: 400, endTimestampMs: 500, analyses: [] },
    ],
  },
  j2p: j2p(6),
};

test('SSE parser handles split chunks, CRLF, comments and multi-line data', () => {
  const events = [];
  const feed = createSseParser((e) => events.push(e));
  feed(': keep-alive\r\nevent: decoding\r\ndata: {"stage":"decoding",');
  feed('"percent":40}\r');
  feed('\n\r\nid: 7\ndata: a\ndata: b\n\n');
  assert.deepEqual(events, [
    { event: 'decoding', data: '{"stage":"decoding","percent":40}', id: '' },
    { event: 'message', data: 'a\nb', id: '7' },
  ]);
});

test('view model from a Guru response counts reps and computes angles from j2p', () => {
  const model = buildViewModel('s1', guru, null);
  assert.equal(model.state, 'complete');
  assert.equal(model.repCount, 2);
  assert.deepEqual(model.reps.map((r) => [r.startMs, r.endMs]), [[0, 200], [300, 500]]);
  assert.equal(model.reps[0].analyses[0].value, 12.5);
  assert.equal(model.seriesSource, 'keypoints');
  // Hip, knee and ankle are collinear: a straight knee reads 180 degrees.
  assert.equal(Math.round(model.series.left_knee_angle.values[0]), 180);
  assert.deepEqual(model.timesMs.slice(0, 3), [0, 100, 200]);
  assert.equal(model.sessionId, 's1');
});

test('server result wins over keypoint angles and carries authenticity', () => {
  const detail = detailFrom({
    session: {
      sessionId: 's1',
      videos: [
        {
          videoId: 'v1',
          status: 'VIDEO_STATUS_COMPLETE',
          result: { repCount: 2, seriesTimestampsMs: [0, 100], series: { left_knee_angle: { unit: 'deg', values: [170, 95] } }, metrics: { jump_height_cm: 41.5 }, formViolations: [{ key: 'depth', label: 'Depth', violationCount: 1, totalChecks: 2, violationRate: 0.5 }] },
          authenticity: { score: 12, riskLevel: 'RISK_LEVEL_LOW', checks: [{ check: 'text_overlay', flagged: true, score: 50 }] },
        },
      ],
    },
  });
  const model = buildViewModel('s1', guru, detail);
  assert.equal(model.seriesSource, 'server');
  assert.deepEqual(model.series.left_knee_angle.values, [170, 95]);
  assert.equal(model.metrics.jump_height_cm, 41.5);
  assert.equal(model.formViolations[0].rate, 0.5);
  assert.equal(model.authenticity.risk, 'low');
  assert.equal(model.authenticity.checks[0].flagged, true);
});

test('analysis state reads Guru statuses', () => {
  assert.equal(analysisState({ status: 'Success', analysis: { status: 'Pending' } }), 'pending');
  assert.equal(analysisState({ status: 'Failed' }), 'failed');
  assert.equal(analysisState({ status: 'Success', analysis: { status: 'Complete' } }), 'complete');
});

test('angle at a right angle is 90 and unreliable points give null', () => {
  const p = (x, y, score = 1) => ({ x, y, score });
  assert.equal(Math.round(angleAt(p(0, 1), p(0, 0), p(1, 0))), 90);
  assert.equal(angleAt(p(0, 1, 0.1), p(0, 0), p(1, 0)), null);
  assert.equal(angleAt(p(0, 0), p(0, 0), p(1, 0)), null);
});

test('CSV exports have one row per frame and a header per joint', () => {
  const model = buildViewModel('s1', guru, null);
  const rows = keypointsCsv(model).trim().split('\n');
  assert.equal(rows.length, 1 + 6);
  assert.ok(rows[0].startsWith('frame_index,timestamp_s,nose_x,nose_y,nose_score,leftShoulder_x'));
  const angleRows = anglesCsv(model).trim().split('\n');
  assert.equal(angleRows.length, 1 + 6);
  assert.ok(angleRows[0].includes('left_knee_angle_deg'));
});

test('TRC file follows the OpenSim layout in metres', () => {
  const model = buildViewModel('s1', guru, null);
  // Nose at 200 px, ankle at 1800 px: 1600 px * 1.1 of stature = 1.75 m.
  const scale = metresPerPixel(model.joints.frames);
  assert.ok(Math.abs(scale - 1.75 / 1760) < 1e-12);
  const lines = trc(model, 'x.trc').split('\n');
  assert.equal(lines[0], 'PathFileType\t4\t(X/Y/Z)\tx.trc');
  const header = lines[2].split('\t');
  assert.equal(header[2], '6'); // NumFrames
  assert.equal(header[3], '5'); // NumMarkers
  assert.equal(header[4], 'm');
  assert.equal(lines[3].split('\t')[2], 'nose');
  const first = lines[6].split('\t');
  assert.equal(first[0], '1');
  // Nose: x = 500 px, y up = (2000 - 200) px.
  assert.equal(Number(first[2]).toFixed(4), (500 * scale).toFixed(4));
  assert.equal(Number(first[3]).toFixed(4), (1800 * scale).toFixed(4));
});

test('chart helpers: nice steps and gaps in paths', () => {
  assert.equal(niceStep(100, 4), 20);
  assert.equal(niceStep(7, 8), 1);
  assert.equal(linePath([0, 1, 2, 3], [5, null, 6, 7]), 'M0.0 5.0M2.0 6.0L3.0 7.0');
});

test('field helpers read both JSON spellings and enum names', () => {
  assert.equal(pick({ seriesTimestampsMs: [1] }, 'series_timestamps_ms')[0], 1);
  assert.equal(enumName('PROGRESS_STAGE_METRICS_DONE', 'PROGRESS_STAGE_'), 'metrics_done');
  assert.deepEqual(splitUnit('jump_height_cm'), { label: 'Jump height', unit: 'cm' });
  assert.deepEqual(splitUnit('max_bar_speed_m_s'), { label: 'Max bar speed', unit: 'm/s' });
});

test('coaching text is found in nested responses', () => {
  const texts = coachingTexts({ ai_analysis: 'Keep your chest up and sit deeper on every rep.', status: 'complete' });
  assert.deepEqual(texts, ['Keep your chest up and sit deeper on every rep.']);
});

test("a coach's text is read line by line", () => {
  const text = 'Push-up: 7 reps counted in this set.\nKeep the body in one straight line from head to heels.\nOk.';
  assert.deepEqual(coachingTexts({ comment: text }), [
    'Push-up: 7 reps counted in this set.',
    'Keep the body in one straight line from head to heels.',
  ]);
});

test("every line of a coach's thread is shown, short or Chinese", () => {
  assert.deepEqual(coachLines('Squat: 3 reps counted.\n\n深蹲：共完成3次。\n'), ['Squat: 3 reps counted.', '深蹲：共完成3次。']);
  assert.deepEqual(coachLines(undefined), []);
});

test('requested coaching threads are read first', () => {
  const ids = recordedThreadIds({
    'threads.summary.velocity': 't1',
    name: 'x',
    'threads.requested.overall': 't2',
  });
  assert.deepEqual(ids, ['t2', 't1']);
});

test('frames from j2p are in pixels', () => {
  const { frames } = framesFromJ2p(j2p(2));
  assert.deepEqual(frames[0].points.leftKnee, { x: 500, y: 1400, score: 0.9 });
});

test('the per-rep CSV has one row per rep with tempo, form and measurements', () => {
  const model = {
    reps: [
      { index: 1, startMs: 1000, midMs: 2200, endMs: 3000, goodForm: true, analyses: [{ type: 'KNEE_ANGLE_DEGREES', value: 82.5 }] },
      { index: 2, startMs: 3500, midMs: 4500, endMs: 5000, goodForm: false, eccentricS: 0.9, concentricS: 0.6, analyses: [] },
    ],
  };
  assert.equal(
    repsCsv(model),
    'rep,start_s,bottom_s,end_s,down_s,up_s,duration_s,good_form,knee_angle_degrees\n' +
      '1,1,2.2,3,1.2,0.8,2,yes,82.5\n' +
      '2,3.5,4.5,5,0.9,0.6,1.5,no,\n',
  );
});

test('download names say the exercise, the upload and its date', () => {
  const model = { id: '01a24586-bb4b-77dd', activity: 'squat' };
  assert.equal(downloadBase(model, 'Monday set 2.MP4', '2026-12-05T09:30:00Z'), 'squat_Monday-set-2_2026-12-05');
  assert.equal(downloadBase(model, '<script>../../x</script>.mov', ''), 'squat_script-x-script');
  assert.equal(downloadBase(model), 'squat_01a24586');
});
