// Videos this browser uploaded or opened, newest first (the session list
// works even where the edge does not list sessions).

const HISTORY_KEY = 'fitvision.history';
const LIMIT = 50;

export function readHistory() {
  try {
    const parsed = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(parsed) ? parsed.filter((e) => e && typeof e.id === 'string') : [];
  } catch {
    return [];
  }
}

/** Adds or updates an entry (fields merge into an existing one). */
export function addToHistory(entry) {
  const entries = readHistory();
  const i = entries.findIndex((e) => e.id === entry.id);
  const defined = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined && v !== ''));
  if (i >= 0) entries[i] = { ...entries[i], ...defined };
  else entries.unshift({ createdAt: new Date().toISOString(), ...defined });
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(entries.slice(0, LIMIT)));
  } catch {
    // Storage full or disabled: the list is a convenience only.
  }
}
