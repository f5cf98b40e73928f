// Display formatting for metric keys that carry their unit as a suffix.
import { humanise } from './fields.js';

const UNIT_SUFFIXES = [
  ['_m_s2', 'm/s²'],
  ['_m_s', 'm/s'],
  ['_per_min', '/min'],
  ['_kcal', 'kcal'],
  ['_pct', '%'],
  ['_percent', '%'],
  ['_deg', '°'],
  ['_cm', 'cm'],
  ['_mm', 'mm'],
  ['_ms', 'ms'],
  ['_kg', 'kg'],
  ['_m', 'm'],
  ['_s', 's'],
  ['_w', 'W'],
  ['_n', 'N'],
  ['_j', 'J'],
];

/** "jump_height_cm" -> {label: "Jump height", unit: "cm"} */
export function splitUnit(key) {
  const lower = key.toLowerCase();
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    if (lower.endsWith(suffix) && lower.length > suffix.length) {
      return { label: humanise(key.slice(0, -suffix.length)), unit };
    }
  }
  return { label: humanise(key), unit: '' };
}

export function formatNumber(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  const d = abs >= 100 ? 0 : abs >= 10 ? Math.min(digits, 1) : digits;
  return value.toLocaleString(undefined, { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

export function formatSeconds(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  return `${(ms / 1000).toFixed(2)} s`;
}
