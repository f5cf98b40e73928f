import { pick } from './fields.js';

// The documented HTTP endpoints the page uses, with the stored API key.

const KEY_STORAGE = 'fitvision.apiKey';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function storedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

export function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Private mode without storage: the key lives for this page only.
  }
}

/**
 * The JSON (else text) body of a reply; an ApiError carrying it when the status is not
 * a success, its message naming the request and the reply's own error text.
 */
async function replyBody(method, path, response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const detail =
      (body && typeof body === 'object' && (body.detail || body.error || body.message || body.reason)) || response.statusText;
    throw new ApiError(response.status, `${method} ${path}: ${response.status} ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`, body);
  }
  return body;
}

export class Api {
  constructor(key, base = '') {
    this.key = key;
    this.base = base;
  }

  headers(extra = {}) {
    return { Authorization: `API-KEY ${this.key}`, ...extra };
  }

  url(path) {
    return `${this.base}${path}`;
  }

  async request(method, path, { json, signal } = {}) {
    const init = { method, headers: this.headers(), signal, cache: 'no-store' };
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    return replyBody(method, path, await fetch(this.url(path), init));
  }

  /** Checks the key: 401 means it is wrong; anything else means the edge accepted it. */
  async verify() {
    try {
      await this.request('GET', '/api/ai-move/exercises');
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return false;
      if (e instanceof ApiError) return true;
      throw e;
    }
  }

  /** Guru "Create Video": returns {id, url, fields}. */
  createVideo({ filename, size, activity, domain }) {
    const json = { filename, size, source: 'fitvision-web' };
    if (activity) json.activity = activity;
    if (domain) json.domain = domain;
    return this.request('POST', '/videos', { json });
  }

  /**
   * Guru upload: multipart POST of the signing fields plus the file to `url`.
   * XHR rather than fetch because only XHR reports upload progress.
   */
  uploadVideo(url, fields, file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields ?? {})) form.append(k, v);
      form.append('file', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', new URL(url, window.location.href).href);
      // Signed fields authorise the upload; the key is sent too for edges that want both.
      xhr.setRequestHeader('Authorization', `API-KEY ${this.key}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.responseText);
        else {
          let body = xhr.responseText;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            // Not JSON: keep the text.
          }
          reject(new ApiError(xhr.status, `upload: ${xhr.status} ${xhr.responseText.slice(0, 200)}`, body));
        }
      };
      xhr.onerror = () => reject(new Error('upload: network error'));
      xhr.send(form);
    });
  }

  /** Who the key signs in as: {userId, tenantId, role}, or null (older edges). */
  async whoami() {
    try {
      return await this.request('GET', '/api/whoami');
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  /** The exercise catalog (GET /v1/catalog/exercises), or null. */
  async catalog() {
    try {
      return await this.request('GET', '/v1/catalog/exercises');
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  /** Removes a session whose upload failed (so it is not listed as one). */
  deleteSession(id) {
    return this.request('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
  }

  getVideo(id, include = 'analysis,j2p') {
    return this.request('GET', `/videos/${encodeURIComponent(id)}?include=${include}`);
  }

  /**
   * The full stored result: {video, session} or null. Tries the transcoded
   * GetSession (a Guru video id is its session id), then the transcoded GetVideo.
   */
  async getVideoDetail(id) {
    const enc = encodeURIComponent(id);
    for (const path of [`/v1/sessions/${enc}`, `/v1/videos/${enc}`]) {
      try {
        const body = await this.request('GET', path);
        const detail = detailFrom(body);
        if (detail) return detail;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
    }
    return null;
  }

  /** A generated comment thread (the Weightlifting API's polling endpoint). */
  async thread(threadId) {
    try {
      return await this.request('GET', `/threads/${encodeURIComponent(threadId)}`);
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  /** Asks the coach to write feedback on a session's analysis (any session kind);
   * the thread is written once the reps are counted. Returns its id. */
  async requestCoaching(sessionId) {
    const reply = await this.request('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/threads`, {
      json: { topics: ['overall'] },
    });
    return reply?.threadIds?.overall ?? reply?.thread_ids?.overall ?? null;
  }

  eventsUrl(id) {
    return this.url(`/videos/${encodeURIComponent(id)}/events`);
  }

  /** Share links (session owner or admin): create one with its lifetime, list, revoke. */
  createShare(sessionId, ttlSeconds) {
    const json = ttlSeconds ? { ttlSeconds } : {};
    return this.request('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/shares`, { json });
  }

  listShares(sessionId) {
    return this.request('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/shares`);
  }

  revokeShare(shareId) {
    return this.request('DELETE', `/v1/shares/${encodeURIComponent(shareId)}`);
  }

  /** The newest sessions (20 for the session list; 50 for the progress over time). */
  async listSessions(limit = 20) {
    try {
      return await this.request('GET', `/v1/sessions?newest_first=true&limit=${limit}`);
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  /**
   * AI Exercise Trainer API: coaching for a workout session; null when
   * unavailable for this session.
   */
  async trainerCoaching(sessionId) {
    if (!sessionId) return null;
    try {
      return await this.request('POST', `/session/${encodeURIComponent(sessionId)}/generate-ai-analysis`);
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }
}

/**
 * A shared result (`GET /v1/shared/{token}`), read with no credential at all:
 * {share, video (Guru JSON), detail: {session, coaching}}. Throws ApiError
 * (404 unknown link, 410 revoked or expired).
 */
export async function getShared(token, base = '') {
  const path = `/v1/shared/${encodeURIComponent(token)}`;
  const response = await fetch(`${base}${path}`, { cache: 'no-store', credentials: 'omit' });
  return replyBody('GET', '/v1/shared', response);
}

/** Newest completed video of a session (else the newest). */
export function primaryVideo(session) {
  const videos = pick(session, 'videos', []) ?? [];
  const done = videos.filter((v) => /COMPLETE/i.test(String(pick(v, 'status', ''))));
  const list = done.length ? done : videos;
  return list[list.length - 1] ?? null;
}

/** Normalises {video, session?} | {session} | Video into {video, session, coaching}. */
export function detailFrom(body) {
  if (!body || typeof body !== 'object') return null;
  const session = pick(body, 'session', null);
  let video = pick(body, 'video', null);
  if (!video && session) video = primaryVideo(session);
  if (!video && (pick(body, 'video_id') || pick(body, 'result'))) video = body;
  if (!video) return null;
  return { video, session, coaching: pick(body, 'coaching', null) };
}
