import assert from 'node:assert/strict';
import test from 'node:test';

import { ApiError } from '../src/api.js';
import { sharedCoachingLines } from '../src/coaching.js';
import {
  DEFAULT_SHARE_TTL_S,
  SHARE_LIFETIMES,
  formatDay,
  shareError,
  shareRows,
  shareStatus,
  shareTokenFromHash,
  shareUrl,
  sharedBanner,
  sharedLinkError,
} from '../src/share.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');

test('lifetimes: 7, 30 (the default), 90 days and a year, within the server maximum', () => {
  assert.deepEqual(SHARE_LIFETIMES.map((l) => l.label), ['7 days', '30 days', '90 days', '1 year']);
  assert.deepEqual(SHARE_LIFETIMES.map((l) => l.seconds), [604800, 2592000, 7776000, 31536000]);
  assert.equal(DEFAULT_SHARE_TTL_S, 2592000);
  assert.equal(SHARE_LIFETIMES.find((l) => l.default).seconds, DEFAULT_SHARE_TTL_S);
  assert.ok(SHARE_LIFETIMES.every((l) => l.seconds <= 31536000));
});

test('the link is this page with #share=<token>', () => {
  const loc = { origin: 'https://coach.example', pathname: '/app/' };
  assert.equal(shareUrl(loc, 'fvshare_abc'), 'https://coach.example/app/#share=fvshare_abc');
  assert.equal(shareUrl(loc, 'a b&c'), 'https://coach.example/app/#share=a%20b%26c');
  assert.equal(shareUrl(loc, '', 'http://host/#share=x'), 'http://host/#share=x', "the server's url without a token");
  assert.equal(shareTokenFromHash('#share=fvshare_abc'), 'fvshare_abc');
  assert.equal(shareTokenFromHash(`#share=${encodeURIComponent('a b&c')}`), 'a b&c');
  assert.equal(shareTokenFromHash('#video=123'), null);
  assert.equal(shareTokenFromHash('#share='), null);
  assert.equal(shareTokenFromHash(''), null);
});

test('a share is Active, Revoked or Expired (camelCase or snake_case)', () => {
  const active = { shareId: 's1', createdAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-31T00:00:00Z', active: true };
  assert.equal(shareStatus(active, NOW), 'Active');
  assert.equal(shareStatus({ ...active, revokedAt: '2026-12-04T00:00:00Z', active: false }, NOW), 'Revoked');
  assert.equal(shareStatus({ share_id: 's1', expires_at: '2026-12-04T00:00:00Z' }, NOW), 'Expired');
  assert.equal(shareStatus({ ...active, active: false }, NOW), 'Revoked', 'inactive before its expiry: revoked');
  assert.equal(shareStatus({ ...active, revokedAt: '2026-12-04T00:00:00Z', expiresAt: '2026-12-04T01:00:00Z' }, NOW), 'Revoked', 'revoked wins over expired');
});

test('shares are listed newest first with their dates in words', () => {
  const rows = shareRows(
    {
      shares: [
        { shareId: 'old', createdAt: '2026-11-01T10:00:00Z', expiresAt: '2026-12-01T10:00:00Z', active: false },
        { shareId: 'new', createdAt: '2026-12-05T11:00:00Z', expiresAt: '2027-01-04T11:00:00Z', active: true },
        { shareId: 'gone', createdAt: '2026-12-02T11:00:00Z', expiresAt: '2027-01-04T11:00:00Z', revokedAt: '2026-12-03T09:00:00Z', active: false },
      ],
    },
    NOW,
    'en-GB',
  );
  assert.deepEqual(rows.map((r) => [r.id, r.status, r.active]), [
    ['new', 'Active', true],
    ['gone', 'Revoked', false],
    ['old', 'Expired', false],
  ]);
  assert.equal(rows[0].created, '5 Dec 2026');
  assert.equal(rows[0].expires, '4 Jan 2027');
  assert.equal(rows[1].revoked, '3 Dec 2026');
  assert.deepEqual(shareRows({}, NOW), []);
  assert.deepEqual(shareRows(null, NOW), []);
  assert.equal(formatDay('not a date'), '');
  assert.equal(formatDay(undefined), '');
});

test('the banner says until when the link works', () => {
  assert.equal(sharedBanner({ expiresAt: '2027-01-04T11:00:00Z' }, 'en-GB'), 'Shared result — link valid until 4 Jan 2027');
  assert.equal(sharedBanner(null), 'Shared result');
});

test('a link that cannot be opened is explained in words', () => {
  assert.equal(sharedLinkError(new ApiError(404, 'x', { message: 'share link not found' })), 'This share link does not exist.');
  assert.equal(sharedLinkError(new ApiError(410, 'x', { message: 'share link revoked' })), 'This share link was revoked. Ask your coach for a new one.');
  assert.equal(sharedLinkError(new ApiError(410, 'x', { message: 'share link expired' })), 'This share link has expired. Ask your coach for a new one.');
  assert.equal(sharedLinkError(new ApiError(410, 'x', null)), 'This share link was revoked or has expired. Ask your coach for a new one.');
  assert.match(sharedLinkError(new ApiError(503, 'x', null)), /server had a problem/);
  assert.match(sharedLinkError(new TypeError('Failed to fetch')), /could not be reached/);
});

test('creating or revoking a link fails in words', () => {
  assert.match(shareError(new ApiError(400, 'x', { message: 'ttlSeconds must be at most 31536000' })), /lifetime is not allowed/);
  assert.match(shareError(new ApiError(404, 'x', {})), /session was not found/);
  assert.match(shareError(new ApiError(403, 'x', {})), /may not share/);
  assert.match(shareError(new ApiError(401, 'x', {})), /API key was not accepted/);
});

test('coaching carried with a shared result: completed threads line by line', () => {
  const lines = sharedCoachingLines([
    { status: 'complete', comment: 'Squat: 3 reps counted in 10.7 s.\nForm score 100%.\n' },
    { status: 'pending', comment: null },
    { status: 'failed', text: 'should not appear' },
    { status: 'THREAD_STATUS_COMPLETE', text: 'Form score 100%.\nNext session: aim for 4 reps.' },
    { status: 'THREAD_STATUS_PENDING', text: 'not yet' },
  ]);
  assert.deepEqual(lines, ['Squat: 3 reps counted in 10.7 s.', 'Form score 100%.', 'Next session: aim for 4 reps.']);
  assert.deepEqual(sharedCoachingLines(null), []);
  assert.deepEqual(sharedCoachingLines('One line.\nTwo lines.'), ['One line.', 'Two lines.']);
});
