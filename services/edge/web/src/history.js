// Videos this browser uploaded or opened, newest first (the session list
// works even where the edge does not list sessions). Cleared at sign-out.

const HISTORY_KEY = 'fitvision.history';
const LIMIT = 50;
/** Longest file name kept (what a file system allows); the list shows fewer. */
export const MAX_NAME = 255;

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readHistory() {
  try {
    const parsed = JSON.parse(storage()?.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(parsed) ? parsed.filter((e) => e && typeof e.id === 'string') : [];
  } catch {
    return [];
  }
}

function write(entries) {
  try {
    storage()?.setItem(HISTORY_KEY, JSON.stringify(entries.slice(0, LIMIT)));
  } catch {
    // Storage full or disabled: the list is a convenience only.
  }
}

/** Adds or updates an entry (fields merge into an existing one). */
export function addToHistory(entry) {
  const entries = readHistory();
  const i = entries.findIndex((e) => e.id === entry.id);
  const defined = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined && v !== ''));
  if (typeof defined.filename === 'string') defined.filename = defined.filename.slice(0, MAX_NAME);
  if (i >= 0) entries[i] = { ...entries[i], ...defined };
  else entries.unshift({ createdAt: new Date().toISOString(), ...defined });
  write(entries);
}

export function removeFromHistory(id) {
  write(readHistory().filter((e) => e.id !== id));
}

/** Sign-out: nothing of this user's sessions stays in the browser. */
export function clearHistory() {
  try {
    storage()?.removeItem(HISTORY_KEY);
  } catch {
    // Nothing stored.
  }
}
