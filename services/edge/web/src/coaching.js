// Coaching text from whichever coaching response the edge returns.

/** Sentences (six words or more) anywhere in the response, de-duplicated, in order. */
export function coachingTexts(response) {
  const out = [];
  const visit = (v, depth) => {
    if (depth > 5 || v === null || v === undefined) return;
    if (typeof v === 'string') {
      if (v.trim().split(/\s+/).length >= 6) out.push(v.trim());
      return;
    }
    if (Array.isArray(v)) v.forEach((x) => visit(x, depth + 1));
    else if (typeof v === 'object') Object.values(v).forEach((x) => visit(x, depth + 1));
  };
  visit(response, 0);
  return [...new Set(out)].slice(0, 8);
}
