// Share links: a coach sends an athlete a link that opens one result read-only,
// without an API key, until it expires or is revoked. Pure functions (unit-tested
// in test/share.test.js); the page wires them in main.js.
import { pick } from './fields.js';
import { friendlyError, serverMessage } from './messages.js';

const DAY_S = 86400;

/** The lifetimes a coach may choose; 30 days is the server's default. */
export const SHARE_LIFETIMES = [
  { seconds: 7 * DAY_S, label: '7 days' },
  { seconds: 30 * DAY_S, label: '30 days', default: true },
  { seconds: 90 * DAY_S, label: '90 days' },
  { seconds: 365 * DAY_S, label: '1 year' },
];

export const DEFAULT_SHARE_TTL_S = 30 * DAY_S;

/** The share token in an address's hash (`#share=<token>`), or null. */
export function shareTokenFromHash(hash) {
  const token = new URLSearchParams(String(hash ?? '').replace(/^#/, '')).get('share');
  return token && token.trim() ? token.trim() : null;
}

/**
 * The link to send: this page with `#share=<token>` (the address the coach is
 * using, so it works wherever the page does); the server's `url` when there is
 * no token to build it from.
 */
export function shareUrl(location, token, replyUrl = '') {
  if (token) return `${location.origin}${location.pathname}#share=${encodeURIComponent(token)}`;
  return replyUrl || '';
}

function time(value) {
  if (!value) return NaN;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? t : NaN;
}

/** 'Active' | 'Revoked' | 'Expired' of a share (protobuf JSON, either case). */
export function shareStatus(share, nowMs = Date.now()) {
  if (pick(share, 'revoked_at')) return 'Revoked';
  const expires = time(pick(share, 'expires_at'));
  if (Number.isFinite(expires) && expires <= nowMs) return 'Expired';
  if (pick(share, 'active') === false) return 'Revoked';
  return 'Active';
}

/** A day in words, e.g. "5 Dec 2026" (en-GB) / "Dec 5, 2026" (en-US); '' when unknown. */
export function formatDay(value, locale = undefined) {
  const t = time(value);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** One share as the page lists it: {id, created, expires, status, active}. */
export function shareRow(share, nowMs = Date.now(), locale = undefined) {
  const status = shareStatus(share, nowMs);
  return {
    id: String(pick(share, 'share_id', '')),
    created: formatDay(pick(share, 'created_at'), locale),
    expires: formatDay(pick(share, 'expires_at'), locale),
    revoked: formatDay(pick(share, 'revoked_at'), locale),
    status,
    active: status === 'Active',
  };
}

/** The shares of a session, newest first, as rows. */
export function shareRows(reply, nowMs = Date.now(), locale = undefined) {
  const shares = pick(reply, 'shares', []) ?? [];
  return [...shares]
    .sort((a, b) => String(pick(b, 'created_at', '')).localeCompare(String(pick(a, 'created_at', ''))))
    .map((s) => shareRow(s, nowMs, locale));
}

/** What the athlete reads when a share link cannot be opened. */
export function sharedLinkError(error) {
  const status = Number(error?.status ?? 0);
  const message = (serverMessage(error?.body) || '').toLowerCase();
  if (status === 404) return 'This share link does not exist.';
  if (status === 410 && /revoked/.test(message)) return 'This share link was revoked. Ask your coach for a new one.';
  if (status === 410 && /expired/.test(message)) return 'This share link has expired. Ask your coach for a new one.';
  if (status === 410) return 'This share link was revoked or has expired. Ask your coach for a new one.';
  return friendlyError(error);
}

/** What the coach reads when creating, listing or revoking a link fails. */
export function shareError(error) {
  const status = Number(error?.status ?? 0);
  if (status === 400) return 'That link lifetime is not allowed. Choose one from the list.';
  if (status === 404) return 'This session was not found, or this server cannot share results yet.';
  if (status === 403) return 'This key may not share this session. Ask its owner or an administrator.';
  return friendlyError(error);
}

/** The banner of a shared result. */
export function sharedBanner(share, locale = undefined) {
  const until = formatDay(pick(share, 'expires_at'), locale);
  return until ? `Shared result — link valid until ${until}` : 'Shared result';
}
