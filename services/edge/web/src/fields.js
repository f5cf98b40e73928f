// Tolerant field access: the edge may serialise protobuf JSON with either
// lowerCamelCase (the proto3 JSON default) or the original snake_case names.

/** snake_case -> lowerCamelCase */
export function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** Reads `name` (snake_case) from `obj`, trying the camelCase spelling too. */
export function pick(obj, name, fallback = undefined) {
  if (obj == null || typeof obj !== 'object') return fallback;
  if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  const c = camel(name);
  if (obj[c] !== undefined && obj[c] !== null) return obj[c];
  return fallback;
}

/** Number or undefined (protobuf JSON writes 64-bit ints as strings). */
export function num(value) {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** "PROGRESS_STAGE_METRICS_DONE" / "metrics_done" / "MetricsDone" -> "metrics_done" */
export function enumName(value, prefix) {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (prefix && s.toUpperCase().startsWith(prefix)) s = s.slice(prefix.length);
  return s
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

/** "left_knee_angle" -> "Left knee angle" */
export function humanise(key) {
  const s = String(key).replace(/_/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
