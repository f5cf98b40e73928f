import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FALLBACK_CATALOG, catalogEntries, domainIn, guidanceFor, menuFromCatalog } from '../src/activities.js';
import { seekKey } from '../src/chart.js';
import { MAX_NAME, addToHistory, clearHistory, readHistory, removeFromHistory } from '../src/history.js';
import {
  NOT_A_VIDEO,
  analysisHeader,
  escapeHtml,
  failureText,
  formCheckText,
  friendlyError,
  repTempo,
  shouldAnnounce,
  statusLabel,
  truncateMiddle,
} from '../src/messages.js';
import { analysisState, buildViewModel } from '../src/model.js';

// ------------------------------------------------------------ errors

test('a non-video upload becomes the plain message, whatever the server wrote', () => {
  const body = { message: 'not a supported video: unrecognised content (expected mp4, mov, m4v, webm, mkv or avi)' };
  assert.equal(friendlyError({ status: 400, body, message: 'upload: 400 {"message":"not a supported video…"}' }), NOT_A_VIDEO);
  assert.equal(friendlyError({ status: 400, body: JSON.stringify(body) }), NOT_A_VIDEO);
  assert.equal(friendlyError({ code: 'not_video' }), NOT_A_VIDEO);
  assert.equal(NOT_A_VIDEO, 'This file is not a video we can read: MP4, MOV or WebM.');
});

test('other failures are said plainly, without status lines or JSON', () => {
  const cases = [
    [{ status: 413, body: { message: 'videos may be at most 10 bytes' } }, /too large or too long.*at most 10 bytes/],
    [{ status: 429, body: { message: 'limit' } }, /Try again in a minute/],
    [{ status: 401, body: { message: 'Unauthorized' } }, /Sign in again/],
    [{ status: 403, body: { message: 'the upload policy has expired: create the video again' } }, /link expired/],
    [{ status: 400, body: { message: "unknown activity 'vertical_jump'" } }, /cannot analyse that exercise/],
    [{ status: 502, body: 'Bad gateway' }, /server had a problem \(HTTP 502\)/],
    [{ message: 'upload: network error' }, /could not be reached/],
    [{ status: 404, body: { message: 'Not Found' } }, /not found/],
  ];
  for (const [error, expected] of cases) {
    const text = friendlyError(error);
    assert.match(text, expected, JSON.stringify(error));
    assert.doesNotMatch(text, /[{}]|POST |upload: /, text);
  }
});

test('failure codes of an analysis are words', () => {
  assert.equal(failureText('UNREADABLE_VIDEO'), NOT_A_VIDEO);
  assert.match(failureText('FAILURE_CODE_LOW_QUALITY_POSE_ESTIMATE'), /whole body/);
  assert.match(failureText('BLOCKED_BY_AUTHENTICITY', 'speed 4x'), /authenticity.*\(speed 4x\)/);
  assert.equal(failureText('', 'the disk is full'), 'the disk is full');
  assert.equal(failureText('Already words.'), 'Already words.');
  assert.equal(failureText(''), 'The analysis failed.');
});

// ------------------------------------------------------------ names

test('long names are cut in the middle, keeping the extension; control characters go', () => {
  const long = `${'a'.repeat(1_000_000)}.mp4`;
  const short = truncateMiddle(long, 80);
  assert.equal(short.length, 80);
  assert.ok(short.endsWith('aaaa.mp4'));
  assert.ok(short.includes('…'));
  assert.equal(truncateMiddle('squat.mp4', 80), 'squat.mp4');
  assert.equal(truncateMiddle('a\u0000b\nc'), 'a b c');
  assert.equal(truncateMiddle(undefined), '');
});

test('escapeHtml leaves no markup', () => {
  assert.equal(escapeHtml('<img src=x onerror="a()">&\''), '&lt;img src=x onerror=&quot;a()&quot;&gt;&amp;&#39;');
});

test('history keeps names at most MAX_NAME long, removes entries and clears at sign-out', () => {
  const store = new Map();
  globalThis.localStorage = {
    getItem: (k) => (store.has(k) ? store.get(k) : null),
    setItem: (k, v) => store.set(k, String(v)),
    removeItem: (k) => store.delete(k),
  };
  try {
    addToHistory({ id: 'a', filename: 'x'.repeat(100_000), state: 'uploading' });
    addToHistory({ id: 'b', filename: 'b.mp4' });
    addToHistory({ id: 'a', state: 'complete', repCount: 8 });
    const [b, a] = readHistory();
    assert.equal(b.id, 'b');
    assert.equal(a.filename.length, MAX_NAME);
    assert.equal(a.state, 'complete');
    assert.equal(a.repCount, 8);
    removeFromHistory('b');
    assert.deepEqual(readHistory().map((e) => e.id), ['a']);
    clearHistory();
    assert.deepEqual(readHistory(), []);
    assert.equal(store.size, 0);
  } finally {
    delete globalThis.localStorage;
  }
});

test('session status in words; a created-but-never-uploaded video is not a finished session', () => {
  assert.equal(statusLabel('complete'), 'Complete');
  assert.equal(statusLabel('VIDEO_STATUS_COMPLETE'), 'Complete');
  assert.equal(statusLabel('blocked'), 'Failed');
  assert.equal(statusLabel('failed'), 'Failed');
  assert.equal(statusLabel('awaiting_upload'), 'Not uploaded');
  assert.equal(statusLabel('uploading'), 'Uploading');
  assert.equal(statusLabel('processing'), 'Analysing');
  assert.equal(statusLabel('pending'), 'Analysing');
  assert.equal(statusLabel(''), '');
});

test('a video created but never uploaded is "not_uploaded", not a 0-rep result', () => {
  assert.equal(analysisState({ status: 'Pending', uri: null, analysis: { status: 'Pending', reps: [] } }), 'not_uploaded');
  assert.equal(analysisState({ status: 'Success', uri: '/files/a.mp4', analysis: { status: 'Pending' } }), 'pending');
});

// ------------------------------------------------------------ menu

const catalogBody = {
  exercises: [
    { exerciseId: 'squat', name: 'Squat', type: 'rep', enabled: true, sortOrder: 10, algorithmJson: JSON.stringify({ id: 'squat', domain: 'weightlifting', analyses: [{ type: 'KNEE_ANGLE_DEGREES', at: 'bottom', good: { max: 100 } }] }) },
    { exerciseId: 'bodyweight_squat', name: 'Basic Squat', type: 'rep', enabled: true, sortOrder: 140, algorithmJson: JSON.stringify({ domain: 'calisthenics' }) },
    { exercise_id: 'vertical_jump', name: 'Vertical Jump', type: 'rep', enabled: true, sort_order: 70, algorithm_json: JSON.stringify({ domain: 'jumping' }) },
    { exerciseId: 'plank', name: 'Plank', type: 'timer', enabled: false, algorithmJson: JSON.stringify({ domain: 'calisthenics' }) },
    { exerciseId: 'mystery', name: 'Mystery', enabled: true, algorithmJson: 'not json' },
    { exerciseId: 'kettlebell_swing', name: 'Kettlebell swing', enabled: true, algorithmJson: JSON.stringify({ domain: 'kettlebell' }) },
  ],
};

test('the menu offers the enabled catalog exercises that have a Guru domain, and only those', () => {
  const entries = catalogEntries(catalogBody);
  assert.equal(entries.length, 6);
  const menu = menuFromCatalog(entries);
  const ids = menu.flatMap((g) => g.items.map((i) => i.id));
  assert.deepEqual(ids.sort(), ['bodyweight_squat', 'kettlebell_swing', 'squat', 'vertical_jump']);
  assert.ok(!ids.includes('plank'), 'disabled exercises are left out');
  assert.ok(!ids.includes('mystery'), 'an exercise without a domain cannot be created through POST /videos');
  assert.equal(domainIn(menu, 'vertical_jump'), 'jumping');
  assert.equal(domainIn(menu, 'plank'), '');
  const labels = menu.flatMap((g) => g.items.map((i) => i.label));
  assert.ok(labels.includes('Barbell squat') && labels.includes('Bodyweight squat (no bar)'), labels.join());
  assert.deepEqual(entries[0].analyses, { KNEE_ANGLE_DEGREES: { at: 'bottom', good: { max: 100 } } });
  assert.deepEqual(catalogEntries(null), []);
});

test('the built-in fallback is the catalog: 23 exercises, each with its domain', () => {
  const menu = menuFromCatalog(FALLBACK_CATALOG);
  assert.equal(menu.flatMap((g) => g.items).length, 23);
  assert.equal(domainIn(menu, 'sit_and_reach'), 'fitness_test');
  assert.equal(domainIn(menu, 'clean'), 'weightlifting');
});

test('near-duplicates say how they differ, and every exercise says how to film it', () => {
  assert.match(guidanceFor('squat'), /Bodyweight squat/);
  assert.match(guidanceFor('bodyweight_squat'), /Barbell squat/);
  assert.match(guidanceFor('push_up'), /side-on/);
  assert.match(guidanceFor('punch'), /whole body/);
  assert.equal(guidanceFor(''), '');
});

// ------------------------------------------------------------ reps and form

test('tempo: the server eccentric/concentric times, else start->mid and mid->end', () => {
  assert.deepEqual(repTempo({ startMs: 733, midMs: 2600, endMs: 3800, eccentricS: 1.87, concentricS: 1.2 }), { downS: 1.87, upS: 1.2 });
  const t = repTempo({ startMs: 1000, midMs: 2500, endMs: 3000 });
  assert.equal(t.downS, 1.5);
  assert.equal(t.upS, 0.5);
  assert.deepEqual(repTempo({ startMs: 1000, midMs: 1000, endMs: 3000 }), { downS: undefined, upS: undefined });
  assert.deepEqual(repTempo({}), { downS: undefined, upS: undefined });
});

test('form checks say what passed: "8 of 8 reps passed", "5 of 8 reps passed", checks otherwise', () => {
  assert.deepEqual(formCheckText({ total: 8, count: 0 }, 8), { passed: 8, failed: 0, total: 8, ok: true, text: '8 of 8 reps passed' });
  const some = formCheckText({ total: 8, count: 3 }, 8);
  assert.equal(some.text, '5 of 8 reps passed');
  assert.equal(some.ok, false);
  assert.equal(formCheckText({ total: 120, count: 12 }, 8).text, '108 of 120 checks passed');
  assert.equal(formCheckText({ total: 1, count: 0 }, 1).text, '1 of 1 rep passed');
  assert.equal(formCheckText({ total: 0, count: 0 }, 0).text, 'not checked');
  assert.equal(formCheckText({ total: 3, count: 9 }, 3).passed, 0, 'a count above the total is clamped');
});

test('rep-table headers say what the measurement is, where in the rep, and the good range', () => {
  assert.deepEqual(analysisHeader('KNEE_ANGLE_DEGREES', { at: 'bottom', good: { max: 100 } }), { label: 'Knee angle at the bottom', unit: '°', hint: 'good ≤ 100°' });
  assert.deepEqual(analysisHeader('ELBOW_EXTENSION_DEGREES', { at: 'top', good: { min: 150 } }), { label: 'Elbow extension at the top', unit: '°', hint: 'good ≥ 150°' });
  assert.equal(analysisHeader('HIP_KNEE_ANGLE_DEGREES').label, 'Thigh angle');
  assert.deepEqual(analysisHeader('STRIDE_LENGTH_METERS'), { label: 'Stride length', unit: 'm', hint: '' });
});

test('the full result gives the Guru reps their tempo and form flags', () => {
  const guru = {
    status: 'Success',
    uri: '/a.mp4',
    analysis: {
      status: 'Complete',
      activity: 'squat',
      reps: [
        { startTimestampMs: 0, midTimestampMs: 1000, endTimestampMs: 2000, analyses: [] },
        { startTimestampMs: 3000, midTimestampMs: 4000, endTimestampMs: 5000, analyses: [] },
      ],
    },
  };
  const detail = {
    video: {
      result: {
        reps: [
          { startTimestampMs: 0, endTimestampMs: 2000, eccentricS: 1.1, concentricS: 0.9, goodForm: true },
          // goodForm false is left out by protobuf JSON.
          { startTimestampMs: 3000, endTimestampMs: 5000, eccentricS: 0.4, concentricS: 0.3 },
        ],
        formViolations: [{ key: 'too_fast', label: 'Rep too fast', totalChecks: 2, violationCount: 1 }],
      },
    },
  };
  const model = buildViewModel('v', guru, detail);
  assert.equal(model.reps[0].eccentricS, 1.1);
  assert.equal(model.reps[0].goodForm, true);
  assert.equal(model.reps[1].goodForm, false);
  assert.deepEqual(repTempo(model.reps[1]), { downS: 0.4, upS: 0.3 });
  const bare = buildViewModel('v', guru, null);
  assert.equal(bare.reps[0].goodForm, undefined, 'no form data: no flag');
});

// ------------------------------------------------------------ keyboard and announcements

test('chart keys seek: arrows 1 s (Shift 5 s), Home/End, Page Down/Up between reps', () => {
  const reps = [{ startMs: 700 }, { startMs: 4300 }, { startMs: 7400 }];
  assert.equal(seekKey('ArrowRight', false, 0, 10000, reps), 1000);
  assert.equal(seekKey('ArrowRight', true, 8000, 10000, reps), 10000);
  assert.equal(seekKey('ArrowLeft', false, 500, 10000, reps), 0);
  assert.equal(seekKey('Home', false, 5000, 10000, reps), 0);
  assert.equal(seekKey('End', false, 5000, 10000, reps), 10000);
  assert.equal(seekKey('PageDown', false, 2000, 10000, reps), 4300);
  assert.equal(seekKey('PageDown', false, 4300, 10000, reps), 7400);
  assert.equal(seekKey('PageUp', false, 4300, 10000, reps), 700);
  assert.equal(seekKey('PageUp', false, 500, 10000, reps), 0);
  assert.equal(seekKey('a', false, 0, 10000, reps), null);
});

test('progress is announced on a new stage, and at most every 10 s while the percentage moves', () => {
  const first = { stage: 'uploading', percent: 1, at: 0 };
  assert.equal(shouldAnnounce(null, first), true);
  assert.equal(shouldAnnounce(first, { stage: 'uploading', percent: 40, at: 1000 }), false);
  assert.equal(shouldAnnounce(first, { stage: 'uploading', percent: 60, at: 10_000 }), true);
  assert.equal(shouldAnnounce(first, { stage: 'uploading', percent: 1, at: 20_000 }), false, 'no change, no announcement');
  assert.equal(shouldAnnounce(first, { stage: 'decoding', percent: 0, at: 100 }), true);
  // One update a second for a minute: 6 announcements at most, not 60.
  let last = null;
  let count = 0;
  for (let s = 0; s < 60; s++) {
    const next = { stage: 'uploading', percent: s * 1.5, at: s * 1000 };
    if (shouldAnnounce(last, next)) {
      last = next;
      count++;
    }
  }
  assert.ok(count <= 6, `${count} announcements`);
});
