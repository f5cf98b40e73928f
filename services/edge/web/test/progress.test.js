import assert from 'node:assert/strict';
import test from 'node:test';

import { formText, hasProgress, progressLabels, progressPoints, tempoText, trendText } from '../src/progress.js';

const rep = (good, ecc, con) => ({ goodForm: good, eccentricS: ecc, concentricS: con, startTimestampMs: 0, endTimestampMs: 1000 });

/** A session as GET /v1/sessions lists it (protobuf JSON, camelCase). */
function session(id, at, { exercise = 'squat', user = 'coach', status = 'VIDEO_STATUS_COMPLETE', result } = {}) {
  return {
    sessionId: id,
    userId: user,
    exerciseId: exercise,
    createdAt: at,
    videos: [{ videoId: `v-${id}`, exerciseId: exercise, status, createdAt: at, result }],
  };
}

const list = {
  sessions: [
    // newest first, as the page asks for
    session('s4', '2026-12-05T12:00:00Z', { result: { repCount: 5, formScore: 0.8, reps: [rep(true, 2, 1), rep(true, 2, 1), rep(undefined, 2, 1), rep(true, 2, 1), rep(true, 2, 1)] } }),
    session('s3', '2026-12-04T12:00:00Z', { status: 'VIDEO_STATUS_PROCESSING' }),
    session('other-user', '2026-12-03T12:00:00Z', { user: 'someone', result: { repCount: 9 } }),
    session('push', '2026-12-02T12:00:00Z', { exercise: 'push_up', result: { repCount: 12 } }),
    session('s1', '2026-12-01T08:00:00Z', { result: { repCount: 3, formScore: 1, reps: [rep(true, 1.5, 0.5), rep(true, 1.5, 1.5), rep(true)] } }),
    { sessionId: 'no-video', userId: 'coach', exerciseId: 'squat', createdAt: '2026-11-01T00:00:00Z', videos: [] },
  ],
};

test('progress: the user\'s complete sessions of the exercise, oldest first', () => {
  const points = progressPoints(list, { exerciseId: 'squat', userId: 'coach', currentId: 's4' });
  assert.deepEqual(points.map((p) => p.id), ['s1', 's4']);
  const [first, last] = points;
  assert.deepEqual([first.reps, first.formScore, first.goodReps, first.judgedReps, first.current], [3, 100, 3, 3, false]);
  assert.deepEqual([first.downS, first.upS], [1.5, 1]);
  assert.deepEqual([last.reps, last.formScore, last.goodReps, last.judgedReps, last.current], [5, 80, 4, 5, true]);
  assert.ok(hasProgress(points));
  // Without a known user every owner's sessions count.
  assert.deepEqual(progressPoints(list, { exerciseId: 'squat' }).map((p) => p.id), ['s1', 'other-user', 's4']);
});

test('progress: zero values left out of protobuf JSON read as zero', () => {
  const points = progressPoints(
    { sessions: [session('z', '2026-12-01T00:00:00Z', { result: { reps: [rep(undefined), { goodForm: true }], formViolations: [{ key: 'depth' }] } })] },
    { exerciseId: 'squat' },
  );
  assert.equal(points[0].reps, 2, 'rep count from the reps when repCount is left out');
  assert.equal(points[0].formScore, 0, 'a missing form score is 0 where form was judged');
  assert.deepEqual([points[0].goodReps, points[0].judgedReps], [1, 2]);
  assert.equal(progressPoints({ sessions: [session('e', '2026-12-01T00:00:00Z', { result: {} })] }, { exerciseId: 'squat' })[0].formScore, undefined);
});

test('progress: fewer than two sessions is no progress', () => {
  assert.equal(hasProgress(progressPoints(list, { exerciseId: 'push_up' })), false);
  assert.equal(hasProgress(progressPoints(null, { exerciseId: 'squat' })), false);
  assert.equal(hasProgress(progressPoints({ sessions: [] }, { exerciseId: 'squat' })), false);
});

test('progress: form, tempo and trend in words; labels by day, with the time when a day repeats', () => {
  const [first, last] = progressPoints(list, { exerciseId: 'squat', userId: 'coach' });
  assert.equal(formText(first), '100% · 3 of 3 reps good');
  assert.equal(formText({}), '–');
  assert.equal(tempoText(first), '1.5 s down · 1 s up');
  assert.equal(tempoText({}), '–');
  assert.equal(trendText([first, last], 'reps', ' reps', '1 Dec'), '+2 reps since 1 Dec');
  assert.equal(trendText([first], 'reps', '', 'x'), '');
  assert.deepEqual(progressLabels([first, last], 'en-GB'), ['1 Dec', '5 Dec']);
  const sameDay = progressLabels([{ at: '2026-12-05T09:05:00Z' }, { at: '2026-12-05T09:40:00Z' }, { at: '' }], 'en-GB');
  assert.equal(sameDay.length, 3);
  assert.match(sameDay[0], /^5 Dec \d\d:05$/);
  assert.match(sameDay[1], /^5 Dec \d\d:40$/);
  assert.equal(sameDay[2], '#3');
});
