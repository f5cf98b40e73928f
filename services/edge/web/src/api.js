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
    const response = await fetch(this.url(path), init);
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!response.ok) {
      const detail =
        (body && (body.detail || body.error || body.message || body.reason)) || response.statusText;
      throw new ApiError(response.status, `${method} ${path}: ${response.status} ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`, body);
    }
    return body;
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
        else reject(new ApiError(xhr.status, `upload: ${xhr.status} ${xhr.responseText.slice(0, 200)}`));
      };
      xhr.onerror = () => reject(new Error('upload: network error'));
      xhr.send(form);
    });
  }

  getVideo(id, include = 'analysis,j2p') {
    return this.request('GET', `/videos/${encodeURIComponent(id)}?include=${include}`);
  }

  /** The full stored result (transcoded GetVideo); null when the edge does not serve it. */
  async getVideoDetail(id) {
    try {
      return await this.request('GET', `/v1/videos/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  eventsUrl(id) {
    return this.url(`/videos/${encodeURIComponent(id)}/events`);
  }

  async listSessions() {
    try {
      return await this.request('GET', '/v1/sessions?newest_first=true&limit=20');
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }

  /** Seed 000: coaching for a session; null when unavailable for this session. */
  async coaching(sessionId) {
    if (!sessionId) return null;
    try {
      return await this.request('POST', `/session/${encodeURIComponent(sessionId)}/generate-ai-analysis`);
    } catch (e) {
      if (e instanceof ApiError) return null;
      throw e;
    }
  }
}
