// Coaching text from whichever coaching response the edge returns.

/** Sentences (six words or more) anywhere in the response, de-duplicated, in order. */
export function coachingTexts(response) {
  const out = [];
  const visit = (v, depth) => {
    if (depth > 5 || v === null || v === undefined) return;
    if (typeof v === 'string') {
      for (const line of coachLines(v)) {
        if (line.split(/\s+/).length >= 6) out.push(line);
      }
      return;
    }
    if (Array.isArray(v)) v.forEach((x) => visit(x, depth + 1));
    else if (typeof v === 'object') Object.values(v).forEach((x) => visit(x, depth + 1));
  };
  visit(response, 0);
  return [...new Set(out)].slice(0, 12);
}

/** Thread ids recorded on a session (`threads.<purpose>.<topic>` attributes), requested
 * coaching first (the page asks for it), at most six. */
export function recordedThreadIds(attributes) {
  const entries = Object.entries(attributes ?? {}).filter(([k]) => k.startsWith('threads.'));
  entries.sort(([a], [b]) => Number(b.startsWith('threads.requested.')) - Number(a.startsWith('threads.requested.')));
  return entries.map(([, v]) => v).slice(0, 6);
}

/** A coach's text, as its lines (headline, what went well, faults, cues, ...): every
 * line counts, short or written without spaces (Chinese). */
export function coachLines(text) {
  if (typeof text !== 'string') return [];
  return text.split(/\n+/).map((line) => line.trim()).filter(Boolean);
}

/** The lines of the coaching carried with a shared result (`detail.coaching`): each
 * completed thread's `comment`/`text` line by line (a pending or failed one is left
 * out); an item of another shape gives its sentences. De-duplicated, in order. */
export function sharedCoachingLines(coaching) {
  const out = [];
  for (const item of Array.isArray(coaching) ? coaching : coaching ? [coaching] : []) {
    if (typeof item === 'string') {
      out.push(...coachLines(item));
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    // "complete", or the proto enum's JSON name "THREAD_STATUS_COMPLETE".
    const status = String(item.status ?? '').toLowerCase().replace(/^thread_status_/, '');
    if (status && status !== 'complete' && status !== 'completed') continue;
    const text = item.comment ?? item.text;
    if (typeof text === 'string') out.push(...coachLines(text));
    else out.push(...coachingTexts(item));
  }
  return [...new Set(out)];
}
