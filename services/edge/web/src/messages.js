// Plain-language texts from raw data: errors, names, rep tempo, form wording,
// session status. Pure functions (unit-tested in test/messages.test.js).

export const NOT_A_VIDEO = 'This file is not a video we can read: MP4, MOV or WebM.';

/** The server's own message from an error body ({message|detail|error|reason}) or text. */
export function serverMessage(body) {
  if (body && typeof body === 'object') {
    const m = body.message ?? body.detail ?? body.error ?? body.reason;
    if (typeof m === 'string') return m;
    if (m !== undefined) return JSON.stringify(m);
    return '';
  }
  if (typeof body !== 'string') return '';
  try {
    return serverMessage(JSON.parse(body));
  } catch {
    return body.slice(0, 200);
  }
}

/**
 * What to tell a person when an upload or analysis request fails.
 * `error`: {status?, body?, message?, name?} (an ApiError, a network error, or a file check).
 */
export function friendlyError(error) {
  const status = Number(error?.status ?? 0);
  const raw = serverMessage(error?.body) || String(error?.message ?? '');
  const lower = raw.toLowerCase();
  if (error?.code === 'not_video' || /not a supported video|unrecognised content|not a video|unreadable|could not decode|no video stream/.test(lower)) {
    return NOT_A_VIDEO;
  }
  if (!status && /network|failed to fetch|load failed/.test(lower)) {
    return 'The server could not be reached. Check the connection and try again.';
  }
  if (status === 401) return 'Your API key was not accepted. Sign in again.';
  if (status === 403 && /expired/.test(lower)) return 'The upload took too long and its link expired. Upload the file again.';
  if (status === 403) return 'This key may not do that. Ask your administrator for access.';
  if (status === 404) return 'That video was not found. It may have been deleted, or belong to someone else.';
  if (status === 409) return 'This video was already uploaded.';
  if (status === 413) return `The video is too large or too long for this server${raw ? ` (${raw})` : ''}. Trim it or film a shorter set.`;
  if (status === 429) return 'Too many analyses are running for your organisation right now. Try again in a minute.';
  if (status === 400 && /unknown activity|does not belong to domain/.test(lower)) {
    return 'This server cannot analyse that exercise. Choose another one from the list.';
  }
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  if (status === 400 && raw) return `The server refused the upload: ${raw}`;
  return raw || 'Something went wrong. Try again.';
}

/** Reason codes of a failed analysis, in words. */
const REASONS = {
  UNREADABLE_VIDEO: NOT_A_VIDEO,
  LOW_QUALITY_POSE_ESTIMATE: 'No person could be followed clearly. Film the whole body, well lit, from a still phone.',
  BLOCKED_BY_AUTHENTICITY: 'The video did not pass the authenticity checks.',
  UNKNOWN_ACTIVITY: 'The exercise could not be recognised. Choose it from the list and upload again.',
  INTERNAL_ERROR: 'The analysis stopped because of a server problem. Upload the video again.',
};

/** A failed analysis's reason (code and/or detail) in words. */
export function failureText(reason, detail = '') {
  const code = String(reason ?? '').toUpperCase().replace(/^FAILURE_CODE_/, '');
  const text = REASONS[code];
  if (text && detail && code !== 'UNREADABLE_VIDEO') return `${text} (${detail})`;
  if (text) return text;
  return detail || String(reason ?? '') || 'The analysis failed.';
}

/** At most `max` characters, with an ellipsis in the middle so the extension stays visible. */
export function truncateMiddle(name, max = 60) {
  const s = String(name ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ');
  if (s.length <= max) return s;
  if (max < 5) return s.slice(0, max);
  const tail = Math.min(12, Math.floor((max - 1) / 3));
  return `${s.slice(0, max - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** HTML-escapes text (the page builds nodes with textContent; this is for attribute-free strings elsewhere). */
export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/**
 * Seconds down and up of one rep: the server's eccentric/concentric times when
 * given, else start->mid and mid->end. {downS, upS} (undefined when unknown).
 */
export function repTempo(rep) {
  const ecc = Number(rep?.eccentricS);
  const con = Number(rep?.concentricS);
  if (ecc > 0 || con > 0) return { downS: ecc > 0 ? ecc : undefined, upS: con > 0 ? con : undefined };
  const { startMs, midMs, endMs } = rep ?? {};
  if (![startMs, midMs, endMs].every(Number.isFinite) || !(midMs > startMs) || !(endMs > midMs)) {
    return { downS: undefined, upS: undefined };
  }
  return { downS: (midMs - startMs) / 1000, upS: (endMs - midMs) / 1000 };
}

/**
 * One form check in words: {passed, total, ok, text}, e.g. "8 of 8 reps passed".
 * `unit` is "reps" when the check ran once per rep.
 */
export function formCheckText(check, repCount) {
  const total = Math.max(0, Number(check?.total) || 0);
  const failed = Math.min(total, Math.max(0, Number(check?.count) || 0));
  const passed = total - failed;
  const unit = total > 0 && total === repCount ? (total === 1 ? 'rep' : 'reps') : total === 1 ? 'check' : 'checks';
  const ok = failed === 0;
  const text = total ? `${passed} of ${total} ${unit} passed` : 'not checked';
  return { passed, failed, total, ok, text };
}

/** Video/analysis status of a history entry in words. */
export function statusLabel(state) {
  const s = String(state ?? '').toLowerCase();
  if (/complete|success/.test(s)) return 'Complete';
  if (/fail|block|error/.test(s)) return 'Failed';
  if (/await|not_uploaded|created/.test(s)) return 'Not uploaded';
  if (/upload/.test(s)) return 'Uploading';
  if (!s) return '';
  return 'Analysing';
}

/**
 * Whether a progress update should be announced to screen readers: on a new
 * stage, or at most every `everyMs` while the percentage moves.
 */
export function shouldAnnounce(last, next, everyMs = 10000) {
  if (!last) return true;
  if (next.stage !== last.stage) return true;
  return next.at - last.at >= everyMs && Math.round(next.percent) !== Math.round(last.percent);
}

const ANALYSIS_NAMES = {
  HIP_KNEE_ANGLE: 'Thigh angle',
  TRUNK_ANGLE: 'Trunk lean',
  HIP_HEIGHT_BODY: 'Hip height',
  ARM_ABDUCTION: 'Arm raise',
};
const AT_WORDS = { bottom: 'at the bottom', top: 'at the top', throughout: 'lowest in the rep' };

/**
 * Rep-table header of a per-rep measurement: {label, unit, hint}, e.g.
 * KNEE_ANGLE_DEGREES at bottom, good max 100 -> "Knee angle at the bottom", "°", "good ≤ 100°".
 */
export function analysisHeader(type, spec = {}) {
  let key = String(type ?? '').toUpperCase();
  let unit = '';
  for (const [suffix, u] of [['_DEGREES', '°'], ['_METERS', 'm'], ['_SECONDS', 's'], ['_CM', 'cm']]) {
    if (key.endsWith(suffix)) {
      key = key.slice(0, -suffix.length);
      unit = u;
      break;
    }
  }
  const base = ANALYSIS_NAMES[key] ?? (key.charAt(0) + key.slice(1).toLowerCase()).replace(/_/g, ' ');
  const at = AT_WORDS[spec?.at] ?? '';
  const good = spec?.good ?? null;
  const parts = [];
  if (good && Number.isFinite(good.min)) parts.push(`≥ ${good.min}${unit}`);
  if (good && Number.isFinite(good.max)) parts.push(`≤ ${good.max}${unit}`);
  return { label: at ? `${base} ${at}` : base, unit, hint: parts.length ? `good ${parts.join(' and ')}` : '' };
}
