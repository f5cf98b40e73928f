// The page: sign in, upload (Guru flow), live progress, then results.
import './style.css';
import { FALLBACK_CATALOG, activityLabel, catalogEntries, domainIn, guidanceFor, isLift, menuFromCatalog } from './activities.js';
import { Api, ApiError, detailFrom, getShared, storedKey, storeKey } from './api.js';
import { PALETTE, drawChart } from './chart.js';
import { anglesCsv, anglesJson, downloadBase, keypointsCsv, keypointsJson, repsCsv, trc } from './exports.js';
import { enumName, humanise, num, pick } from './fields.js';
import { formatNumber, formatSeconds, splitUnit } from './format.js';
import { anglesFromFrames, keyJointsFor } from './joints.js';
import { buildViewModel } from './model.js';
import { MAX_NAME, addToHistory, clearHistory, readHistory, removeFromHistory } from './history.js';
import {
  NOT_A_VIDEO,
  analysisHeader,
  failureText,
  formCheckText,
  friendlyError,
  repTempo,
  shouldAnnounce,
  statusLabel,
  truncateMiddle,
} from './messages.js';
import { streamEvents } from './sse.js';
import { coachLines, coachingTexts, recordedThreadIds, sharedCoachingLines } from './coaching.js';
import { compareRows, sharedCurve } from './compare.js';
import { LIVE_ACTIVITIES, LiveSet, drawPose } from './live.js';
import { DEFAULT_SHARE_TTL_S, SHARE_LIFETIMES, formatDay, shareError, shareRows, shareTokenFromHash, shareUrl, sharedBanner, sharedLinkError } from './share.js';
import { drawProgressChart, formText, hasProgress, progressLabels, progressPoints, tempoText, trendText } from './progress.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;

let api = null;
let selectedFile = null;
let current = null; // {model, charts: [], abort: AbortController}
let watchAbort = null;
let catalog = FALLBACK_CATALOG;
let menu = menuFromCatalog(FALLBACK_CATALOG);
let me = null; // {userId, tenantId, role} from GET /api/whoami
/** The video the progress box is about (null: none). */
let progressFor = null;
/** Share mode: the `#share=<token>` the page was opened with (no key, read-only). */
let shareToken = null;

function show(id, visible) {
  $(id).hidden = !visible;
}

function setError(id, message) {
  const node = $(id);
  node.textContent = message || '';
  node.hidden = !message;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });

// ---------------------------------------------------------------- sign in

function hashVideo() {
  return new URLSearchParams(location.hash.slice(1)).get('video');
}

/** Puts `#video=id` (or nothing) in the address; `push` adds a browser-history entry. */
function setHash(id, push = false) {
  const url = id ? `#video=${encodeURIComponent(id)}` : `${location.pathname}${location.search}`;
  if ((id && hashVideo() === id) || (!id && !location.hash)) return;
  if (push) history.pushState({ video: id }, '', url);
  else history.replaceState({ video: id }, '', url);
}

async function signedIn(key) {
  api = new Api(key);
  show('signin', false);
  show('intro', false);
  show('app', true);
  show('account', true);
  $('account-label').textContent = 'Signed in';
  refreshSessions();
  const fromHash = hashVideo();
  if (fromHash) openVideo(fromHash);
  const [who, body] = await Promise.all([api.whoami().catch(() => null), api.catalog().catch(() => null)]);
  me = who;
  if (me?.userId) {
    $('account-label').textContent = `Signed in as ${truncateMiddle(me.userId, 40)}${me.tenantId ? ` (${truncateMiddle(me.tenantId, 30)})` : ''}`;
    refreshSessions();
    // The progress lists this user's own sessions once it is known who that is.
    if (current?.model && !$('results').hidden) renderProgress(current.model);
  }
  const entries = catalogEntries(body);
  if (entries.length) {
    catalog = entries;
    menu = menuFromCatalog(entries);
    fillActivities();
  }
}

function signedOut() {
  api = null;
  me = null;
  storeKey('');
  // Nothing of this account stays in the browser: history, results, address.
  clearHistory();
  clearResults();
  resetProgress();
  setHash(null);
  $('session-list').replaceChildren();
  show('app', false);
  show('account', false);
  show('intro', true);
  show('signin', true);
  $('api-key').focus();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  setError('signin-error', '');
  $('signin-button').disabled = true;
  try {
    const candidate = new Api(key);
    if (!(await candidate.verify())) {
      setError('signin-error', 'That key was not accepted (401).');
      return;
    }
    storeKey(key);
    $('api-key').value = '';
    signedIn(key);
  } catch (e) {
    setError('signin-error', `Could not reach the server: ${e.message}`);
  } finally {
    $('signin-button').disabled = false;
  }
});

$('sign-out').addEventListener('click', signedOut);

// ---------------------------------------------------------------- upload

/** The menu: what the server's catalog says POST /videos analyses, by domain. */
function fillActivities() {
  const select = $('activity');
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '', text: 'Choose an exercise…' }));
  for (const group of menu) {
    const optgroup = h('optgroup', { label: group.label });
    for (const item of group.items) optgroup.append(h('option', { value: item.id, 'data-domain': group.domain, text: item.label }));
    select.append(optgroup);
  }
  if (chosen && menu.some((g) => g.items.some((i) => i.id === chosen))) select.value = chosen;
  showGuidance();
}

function showGuidance() {
  $('activity-guidance').textContent = guidanceFor($('activity').value) || 'Choose the exercise in the video; a line here says how to film it.';
}

$('activity').addEventListener('change', () => {
  showGuidance();
  updateUploadButton();
});

function updateUploadButton() {
  $('upload-button').disabled = !(selectedFile && $('activity').value);
}

function chooseFile(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('video/')) {
    selectedFile = null;
    $('file-name').textContent = '';
    setError('upload-error', NOT_A_VIDEO);
    updateUploadButton();
    return;
  }
  setError('upload-error', '');
  selectedFile = file;
  $('file-name').textContent = `${truncateMiddle(file.name, 60)} · ${(file.size / 1048576).toFixed(1)} MB`;
  $('file-name').title = file.name.slice(0, MAX_NAME);
  updateUploadButton();
}

function wireDropZone() {
  const zone = $('drop-zone');
  const input = $('file-input');
  input.addEventListener('change', () => chooseFile(input.files[0]));
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    zone.addEventListener(type, () => zone.classList.remove('dragging'));
  }
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    chooseFile(e.dataTransfer?.files?.[0]);
  });
}

let lastAnnounced = null;

function setProgress(percent, stage, message) {
  show('progress', true);
  const box = $('progress');
  box.dataset.state = stage === 'failed' ? 'failed' : stage === 'completed' || stage === 'complete' ? 'done' : 'running';
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  $('progress-bar').value = p;
  $('progress-bar').textContent = `${Math.round(p)}%`;
  $('progress-percent').textContent = `${Math.round(p)}%`;
  if (stage) $('progress-stage').textContent = stage === 'failed' ? '✕ Failed' : humanise(stage);
  $('progress-message').textContent = message || '';
  // Screen readers hear a new stage, and the percentage at most every 10 s.
  const next = { stage: stage || '', percent: p, at: Date.now() };
  if (shouldAnnounce(lastAnnounced, next)) {
    lastAnnounced = next;
    $('progress-announce').textContent = `${humanise(stage || 'progress')}: ${Math.round(p)}%${message ? `. ${message}` : ''}`;
  }
}

/** The progress box in its error state, with the plain message. */
function progressFailed(stageText, message) {
  show('progress', true);
  const box = $('progress');
  box.dataset.state = 'failed';
  $('progress-stage').textContent = `✕ ${stageText}`;
  $('progress-percent').textContent = '';
  $('progress-message').textContent = '';
  $('progress-announce').textContent = '';
  lastAnnounced = null;
  setError('upload-error', message);
}

function resetProgress() {
  show('progress', false);
  $('progress').dataset.state = '';
  progressFor = null;
  lastAnnounced = null;
  setError('upload-error', '');
}

/** Hides the results and stops following the video they show. */
function clearResults() {
  current?.abort.abort();
  current = null;
  watchAbort?.abort();
  show('results', false);
  const video = $('result-video');
  if (video.getAttribute('src')) {
    video.pause();
    video.removeAttribute('src');
    video.load();
  }
  repLoop = null;
  shareFor = null;
}

$('upload-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!selectedFile || !api) return;
  const activity = $('activity').value;
  const file = selectedFile;
  const filename = file.name.slice(0, MAX_NAME);
  const shortName = truncateMiddle(file.name, 40);
  // A new upload: the previous result and its progress go.
  clearResults();
  resetProgress();
  $('upload-button').disabled = true;
  let id = null;
  let uploaded = false;
  try {
    setProgress(0, 'creating', 'Registering the video');
    const created = await api.createVideo({ filename, size: file.size, activity, domain: domainIn(menu, activity) });
    id = created.id;
    progressFor = id;
    // The address names the video at once: a reload comes back to this progress.
    setHash(id, true);
    addToHistory({ id, filename, activity, state: 'uploading', owner: me?.userId, createdAt: new Date().toISOString() });
    refreshSessions();
    await api.uploadVideo(created.url, created.fields, file, (fraction) =>
      setProgress(fraction * 100, 'uploading', `${Math.round(fraction * 100)}% of ${shortName} sent`),
    );
    uploaded = true;
    addToHistory({ id, state: 'pending' });
    setProgress(0, 'queued', 'Uploaded; waiting for analysis');
    await watchUntilDone(id);
    await openVideo(id);
  } catch (e) {
    if (e.name === 'AbortError') return;
    progressFailed(uploaded ? 'Analysis could not be followed' : 'Upload failed', friendlyError(e));
    if (id && !uploaded) {
      progressFor = null;
      // Never uploaded: not a session. Forget it here and on the server.
      removeFromHistory(id);
      api?.deleteSession(id).catch(() => {});
      if (hashVideo() === id) setHash(null);
    }
    refreshSessions();
  } finally {
    updateUploadButton();
  }
});

const STAGES_BY_NUMBER = ['unspecified', 'queued', 'decoding', 'poses_done', 'authenticity', 'metrics_done', 'completed', 'failed'];

/** Stage name from the event's `stage`: enum name, short name or number. */
function progressStage(stage) {
  if (typeof stage === 'number') return STAGES_BY_NUMBER[stage] ?? String(stage);
  return enumName(stage, 'PROGRESS_STAGE_');
}

/** Follows the SSE stream; polls the video as well so completion is never missed. */
async function watchUntilDone(id) {
  watchAbort?.abort();
  const abort = new AbortController();
  watchAbort = abort;
  let finished = null;
  const sse = streamEvents(
    api.eventsUrl(id),
    api.headers(),
    (e) => {
      let data = {};
      try {
        data = JSON.parse(e.data);
      } catch {
        return false;
      }
      const stage = progressStage(data.stage);
      setProgress(data.percent, stage, data.message);
      if (stage === 'completed' || stage === 'complete' || stage === 'failed') {
        finished ??= stage;
        return true;
      }
      return false;
    },
    abort.signal,
  ).catch(() => null);

  const poll = (async () => {
    let failures = 0;
    while (!finished) {
      await sleep(POLL_MS, abort.signal);
      let guru;
      try {
        guru = await api.getVideo(id, 'analysis');
        failures = 0;
      } catch (e) {
        // A restarting edge or a blip: keep going, but not forever.
        if (e.name === 'AbortError' || ++failures >= 10) throw e;
        continue;
      }
      const status = String(guru?.analysis?.status ?? '').toLowerCase();
      const videoStatus = String(guru?.status ?? '').toLowerCase();
      if (status === 'complete') finished ??= 'completed';
      else if (status === 'failed' || videoStatus === 'failed') finished ??= 'failed';
    }
  })().catch((e) => {
    if (e.name !== 'AbortError') throw e;
  });

  await Promise.race([sse.then(() => finished ?? poll), poll]);
  if (!finished) await poll;
  abort.abort();
  setProgress(100, finished, finished === 'failed' ? 'Analysis failed' : 'Analysis complete');
  return finished;
}

// ---------------------------------------------------------------- results

/** A video's Guru data (analysis, joints) and full result, as the page's view model. */
async function loadVideo(id) {
  const [guru, detail] = await Promise.all([api.getVideo(id, 'analysis,j2p'), api.getVideoDetail(id)]);
  return { model: buildViewModel(id, guru, detail), detail };
}

/**
 * Shows a video: its progress while it is analysed (never a "0 reps" result),
 * else its result. `scroll`: bring the result into view (a click in the list).
 */
async function openVideo(id, { scroll = false, attempt = 0 } = {}) {
  current?.abort.abort();
  watchAbort?.abort();
  const abort = new AbortController();
  current = { abort, charts: [], model: null, id };
  setHash(id);
  if (progressFor !== id) resetProgress();
  $('results-subtitle').textContent = 'Loading…';
  try {
    const { model, detail } = await loadVideo(id);
    if (current?.id !== id) return;
    current.model = model;
    if (model.state === 'not_uploaded') {
      show('results', false);
      progressFor = id;
      progressFailed('Upload not finished', 'This video was never fully uploaded. Choose the file and upload it again.');
      addToHistory({ id, state: 'not_uploaded' });
      return;
    }
    if (model.state === 'pending' && attempt < 3) {
      // Still being analysed (e.g. after a reload): the progress, then the result.
      show('results', false);
      progressFor = id;
      setProgress(0, 'queued', 'Analysing the uploaded video');
      if (scroll) $('upload').scrollIntoView({ block: 'start' });
      addToHistory({ id, activity: model.activity, state: 'pending' });
      refreshSessions();
      watchUntilDone(id)
        .then(() => current?.id === id && openVideo(id, { attempt: attempt + 1 }))
        .catch(() => {});
      return;
    }
    show('results', true);
    renderResults(model);
    addToHistory({
      id,
      activity: model.activity,
      repCount: model.state === 'complete' ? model.repCount : undefined,
      state: model.state,
      reason: model.state === 'failed' ? failureText(model.reason, model.reasonDetail) : undefined,
    });
    refreshSessions();
    if (scroll) {
      $('results').scrollIntoView({ block: 'start' });
      $('results-title').focus({ preventScroll: true });
    }
    followOverlay(id, abort.signal);
    loadCoaching(model, detail);
  } catch (e) {
    if (e.name === 'AbortError') return;
    $('results-subtitle').textContent = '';
    show('results', false);
    progressFor = id;
    progressFailed('Could not open the video', friendlyError(e));
  }
}

// Back and Forward move between the videos opened in this tab.
window.addEventListener('popstate', () => {
  if (!api) return;
  const id = hashVideo();
  if (id) openVideo(id, { scroll: true });
  else {
    clearResults();
    resetProgress();
  }
});

function renderResults(model) {
  const day = formatDay(model.createdAt);
  $('results-subtitle').textContent =
    `${activityLabel(model.activity)} · ${model.state === 'complete' ? 'analysis complete' : model.state}` +
    (model.durationMs ? ` · ${formatSeconds(model.durationMs)}` : '') +
    (day ? ` · ${day}` : '');
  const warnings = [...model.warnings];
  if (model.state === 'failed') warnings.unshift(`Analysis failed: ${failureText(model.reason, model.reasonDetail)}`);
  $('results-warning').textContent = warnings.join(' ');
  show('results-warning', warnings.length > 0);

  renderVideo(model);
  renderMetrics(model);
  renderAuthenticity(model.authenticity);
  renderCharts(model);
  renderRepTable(model);
  renderFaults(model);
  renderDownloads(model);
  if (shareToken || !api) return;
  renderCompareChoices(model);
  renderShare(model);
  renderProgress(model);
}

// ---------------------------------------------------------------- compare

/** Complete sessions listed in "Your sessions" (the last list shown). */
let sessionEntries = [];

function renderCompareChoices(model) {
  const select = $('compare-with');
  const chosen = select.value;
  const others = sessionEntries
    .filter((e) => e.id !== model.id && statusLabel(e.state) === 'Complete')
    .sort((x, y) => Number(y.activity === model.activity) - Number(x.activity === model.activity));
  select.replaceChildren(h('option', { value: '', text: others.length ? 'Choose a session…' : 'No other analysed session yet' }));
  for (const e of others.slice(0, 50)) {
    const when = e.createdAt ? new Date(e.createdAt).toLocaleDateString() : '';
    const reps = e.repCount !== undefined && e.repCount !== null ? `${e.repCount} reps` : '';
    const text = [activityLabel(e.activity), truncateMiddle(e.filename || e.id, 40), when, reps].filter(Boolean).join(' · ');
    select.append(h('option', { value: e.id, text }));
  }
  if (others.some((e) => e.id === chosen)) select.value = chosen;
  else $('compare-result').replaceChildren();
}

$('compare-with').addEventListener('change', async (event) => {
  const otherId = event.target.value;
  const box = $('compare-result');
  const model = current?.model;
  box.replaceChildren();
  if (!otherId || !model) return;
  box.append(h('p', { class: 'muted', text: 'Loading the other session…' }));
  try {
    const other = (await loadVideo(otherId)).model;
    if (current?.model !== model || $('compare-with').value !== otherId) return;
    renderComparison(model, other);
  } catch (e) {
    box.replaceChildren(h('p', { class: 'bad-text', text: `Could not open that session: ${friendlyError(e)}` }));
  }
});

function renderComparison(model, other) {
  const box = $('compare-result');
  box.replaceChildren();
  const name = (m) => {
    const entry = sessionEntries.find((e) => e.id === m.id) ?? readHistory().find((e) => e.id === m.id);
    return truncateMiddle(entry?.filename || activityLabel(m.activity), 30);
  };
  if (other.activity !== model.activity) {
    box.append(h('p', { class: 'muted', text: `Different exercises (${activityLabel(model.activity)} and ${activityLabel(other.activity)}): only the shared numbers are compared.` }));
  }
  const table = h('table', { id: 'compare-table' });
  table.append(h('caption', { class: 'visually-hidden', text: 'This session and the chosen one, side by side' }));
  table.append(
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Measure' }), h('th', { scope: 'col', text: `This session (${name(model)})` }), h('th', { scope: 'col', text: `Compared (${name(other)})` }), h('th', { scope: 'col', text: 'Change' }))),
  );
  const body = h('tbody');
  const cell = (v, unit) => (Number.isFinite(v) ? `${formatNumber(v, Math.abs(v) >= 100 ? 0 : 1)}${unit ? ` ${unit}` : ''}` : '—');
  for (const row of compareRows(model, other)) {
    const change = Number.isFinite(row.a) && Number.isFinite(row.b) ? row.b - row.a : undefined;
    const changeText = change === undefined ? '—' : `${change > 0 ? '+' : change < 0 ? '−' : '±'}${cell(Math.abs(change), row.unit)}`;
    body.append(h('tr', {}, h('th', { scope: 'row', text: row.label }), h('td', { text: cell(row.a, row.unit) }), h('td', { text: cell(row.b, row.unit) }), h('td', { text: changeText })));
  }
  table.append(body);
  box.append(h('div', { class: 'table-wrap' }, table));
  const families = keyJointsFor(model.activity);
  const preferred = Object.keys(model.series).filter((n) => families.some((f) => n.includes(f)) && n.includes('angle'));
  const curve = sharedCurve(model, other, [...preferred, ...Object.keys(model.series)]);
  if (!curve) {
    box.append(h('p', { class: 'muted', text: 'The two sessions share no angle curve to overlay.' }));
    return;
  }
  const figure = h('figure', { class: 'chart', 'data-testid': 'compare-chart' });
  figure.append(h('figcaption', { text: `${humanise(curve.name)}: both sets from their start` }));
  const holder = h('div');
  figure.append(holder);
  box.append(figure);
  const unit = model.series[curve.name]?.unit || 'deg';
  drawChart(holder, {
    title: humanise(curve.name),
    timesMs: curve.timesMs,
    lines: [
      { name: 'this', label: `This session (${name(model)})`, unit, values: curve.a, color: PALETTE[0] },
      { name: 'other', label: `Compared (${name(other)})`, unit, values: curve.b, color: PALETTE[1] },
    ],
  });
}

function overlayChoice() {
  return document.querySelector('input[name="overlay"]:checked')?.value ?? 'all';
}

function renderVideo(model) {
  const video = $('result-video');
  const choice = overlayChoice();
  const overlay = model.overlays[choice];
  let src = model.originalUri;
  let status = '';
  if (choice !== 'original') {
    if (overlay?.uri && /^(complete|success)$/i.test(overlay.status)) src = overlay.uri;
    else status = `The ${choice === 'all' ? 'annotated' : 'skeleton'} video is being rendered; showing the original meanwhile.`;
  }
  if (!src) status = 'No video is available yet.';
  $('video-status').textContent = status;
  if (src && video.getAttribute('src') !== src) {
    // Switching overlay keeps the place, the speed and whether it was playing.
    const t = video.currentTime || 0;
    const playing = !video.paused && !video.ended;
    const rate = video.playbackRate;
    video.src = src;
    video.addEventListener(
      'loadedmetadata',
      () => {
        video.currentTime = Math.min(t, video.duration || t);
        video.playbackRate = rate;
        if (playing) video.play().catch(() => {});
      },
      { once: true },
    );
  }
  renderRepTimeline(model);
}

document.querySelectorAll('input[name="overlay"]').forEach((radio) =>
  radio.addEventListener('change', () => current?.model && renderVideo(current.model)),
);

/** Polls until the chosen overlay video exists, then swaps it in. */
async function followOverlay(id, signal) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const model = current?.model;
    if (!model || model.id !== id) return;
    const choice = overlayChoice();
    const overlay = model.overlays[choice];
    if (choice === 'original' || (overlay && /^(complete|success|failed)$/i.test(overlay.status))) {
      if (overlay?.status && /failed/i.test(overlay.status)) $('video-status').textContent = 'The annotated video could not be rendered.';
      if (choice !== 'original') return;
    }
    try {
      // A shared result is re-read whole (joints too): less often.
      await sleep(shareToken ? POLL_MS * 3 : POLL_MS, signal);
      // Signed media URLs come fresh with each read (the share link's, in share mode).
      const guru = shareToken ? (await getShared(shareToken)).video : await api.getVideo(id, 'analysis');
      for (const [kind, o] of Object.entries(guru?.overlays ?? {})) {
        model.overlays[kind] = { status: String(o?.status ?? 'Pending'), uri: o?.uri ?? null };
      }
      if (!model.originalUri && guru?.uri) model.originalUri = guru.uri;
      renderVideo(model);
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
  }
}

function renderRepTimeline(model) {
  const strip = $('rep-timeline');
  strip.querySelectorAll('.rep-marker').forEach((n) => n.remove());
  const video = $('result-video');
  const durationMs = model.durationMs || (video.duration ? video.duration * 1000 : 0);
  if (!durationMs) return;
  for (const rep of model.reps) {
    const left = (100 * rep.startMs) / durationMs;
    const width = (100 * Math.max(0, rep.endMs - rep.startMs)) / durationMs;
    strip.append(
      h('button', {
        type: 'button',
        class: 'rep-marker',
        'data-rep': rep.index,
        style: `left:${left}%;width:${Math.max(width, 0.8)}%`,
        title: `Rep ${rep.index} ends at ${formatSeconds(rep.endMs)}`,
        'aria-label': `Play rep ${rep.index} (${formatSeconds(rep.startMs)})`,
        onclick: () => playRep(rep),
        text: String(rep.index),
      }),
    );
  }
}

function seek(ms) {
  const video = $('result-video');
  repLoop = null;
  video.currentTime = ms / 1000;
}

/** The rep being played: it stops (or loops, with "Loop the rep") at its end. */
let repLoop = null;

/** Plays one rep from its start at the chosen speed, the player in view. */
function playRep(rep, { scroll = false } = {}) {
  const video = $('result-video');
  repLoop = { startS: rep.startMs / 1000, endS: rep.endMs / 1000, index: rep.index };
  video.currentTime = repLoop.startS;
  video.playbackRate = Number($('play-speed').value) || 1;
  $('video-status').textContent = `Playing rep ${rep.index}${$('loop-rep').checked ? ' in a loop' : ''}.`;
  if (scroll) $('player').scrollIntoView({ block: 'nearest' });
  video.play().catch(() => {});
}

$('play-speed').addEventListener('change', () => {
  $('result-video').playbackRate = Number($('play-speed').value) || 1;
});

$('result-video').addEventListener('timeupdate', () => {
  const video = $('result-video');
  const model = current?.model;
  const ms = video.currentTime * 1000;
  const durationMs = model?.durationMs || (video.duration ? video.duration * 1000 : 0);
  if (durationMs) $('rep-timeline-progress').style.width = `${Math.min(100, (100 * ms) / durationMs)}%`;
  for (const chart of current?.charts ?? []) chart.setTime(ms);
  if (repLoop && video.currentTime >= repLoop.endS) {
    if ($('loop-rep').checked) video.currentTime = repLoop.startS;
    else {
      video.pause();
      repLoop = null;
      $('video-status').textContent = '';
    }
  }
});
// Playing from elsewhere (the controls, the end) ends the rep playback.
$('result-video').addEventListener('seeking', () => {
  const video = $('result-video');
  if (repLoop && (video.currentTime < repLoop.startS - 0.05 || video.currentTime > repLoop.endS + 0.05)) repLoop = null;
});
$('result-video').addEventListener('loadedmetadata', () => current?.model && renderRepTimeline(current.model));

function metricCard(label, value, unit, attrs = {}) {
  return h(
    'div',
    { class: 'metric' },
    h('div', { class: 'metric-label', text: label }),
    h('div', { class: 'metric-value' }, h('span', { ...attrs, text: value }), unit ? h('small', { text: ` ${unit}` }) : null),
  );
}

function renderMetrics(model) {
  const box = $('metrics');
  box.replaceChildren();
  box.append(metricCard(model.mode === 'timer' ? 'Reps (timed exercise)' : 'Reps', String(model.repCount), '', { id: 'rep-count' }));
  if (model.formScore !== undefined) box.append(metricCard('Form score', formatNumber(model.formScore * 100, 0), '%'));
  if (model.poseAccuracy !== undefined) box.append(metricCard('Pose accuracy', formatNumber(model.poseAccuracy * 100, 0), '%'));
  if (model.holdTimeS) box.append(metricCard('Hold time', formatNumber(model.holdTimeS, 1), 's'));
  if (model.caloriesKcal) box.append(metricCard('Calories', formatNumber(model.caloriesKcal, 1), 'kcal'));
  if (model.durationMs) box.append(metricCard('Duration', formatNumber(model.durationMs / 1000, 1), 's'));
  const keys = Object.keys(model.metrics).sort();
  for (const key of keys) {
    const { label, unit } = splitUnit(key);
    box.append(metricCard(label, formatNumber(model.metrics[key], 2), unit));
  }
}

function riskClass(risk) {
  return { low: 'ok', medium: 'warn', high: 'bad' }[risk] ?? '';
}

function renderAuthenticity(report) {
  const box = $('authenticity');
  box.replaceChildren();
  if (!report) {
    box.append(h('p', { class: 'muted', text: 'No authenticity report for this video.' }));
    return;
  }
  box.append(
    h(
      'p',
      {},
      h('span', { class: `badge ${riskClass(report.risk)}`, text: `${report.risk.toUpperCase()} risk` }),
      ` score ${formatNumber(report.score, 0)} / 100`,
      report.blocked ? h('strong', { class: 'bad-text', text: ' · blocked' }) : null,
    ),
  );
  if (report.summary) box.append(h('p', { text: report.summary }));
  const list = h('ul', { class: 'checks' });
  for (const c of report.checks) {
    list.append(
      h(
        'li',
        { class: c.flagged ? 'flagged' : '' },
        h('span', { class: 'check-mark', 'aria-hidden': 'true', text: c.flagged ? '⚠' : '✓' }),
        h('strong', { text: humanise(c.check) }),
        ` ${formatNumber(c.score, 0)}`,
        c.reason ? h('div', { class: 'muted', text: c.reason }) : null,
      ),
    );
  }
  box.append(list);
}

/** Charts: the activity's key joints (left + right), then bar velocity/power for lifts. */
function chartSpecs(model) {
  const specs = [];
  let computed = null;
  const fromKeypoints = () => (computed ??= model.joints.frames.length ? anglesFromFrames(model.joints.frames) : null);
  for (const family of keyJointsFor(model.activity)) {
    const match = (name, unit) => name.includes(family) && (name.includes('angle') || unit === 'deg');
    let source = { timesMs: model.timesMs, series: model.series };
    let names = Object.keys(source.series).filter((n) => match(n, source.series[n].unit));
    if (!names.length && fromKeypoints()) {
      source = fromKeypoints();
      names = Object.keys(source.series).filter((n) => match(n, 'deg'));
    }
    if (!names.length) continue;
    specs.push({
      title: `${humanise(family)} angle`,
      timesMs: source.timesMs,
      lines: names.slice(0, 4).map((n, i) => ({ name: n, label: humanise(n), unit: source.series[n].unit || 'deg', values: source.series[n].values, color: PALETTE[i] })),
    });
  }
  const dynamics = Object.keys(model.series).filter((n) => /velocity|power|force/.test(n));
  if (isLift(model.activity) || dynamics.length) {
    for (const n of dynamics) {
      specs.push({
        title: humanise(n),
        timesMs: model.timesMs,
        lines: [{ name: n, label: humanise(n), unit: model.series[n].unit, values: model.series[n].values }],
      });
    }
  }
  if (!specs.length) {
    const any = Object.keys(model.series).slice(0, 2);
    if (any.length) {
      specs.push({
        title: humanise(any[0]),
        timesMs: model.timesMs,
        lines: any.map((n) => ({ name: n, label: humanise(n), unit: model.series[n].unit, values: model.series[n].values })),
      });
    }
  }
  return specs;
}

/** Charts as printed: two side by side in the page's column (drawn at that size, so
 * their labels keep a legible size on paper). */
const PRINT_CHART = { width: 340, height: 160 };
let printing = false;

function renderCharts(model) {
  const size = printing ? PRINT_CHART : {};
  const box = $('charts');
  box.replaceChildren();
  current.charts = [];
  const specs = chartSpecs(model);
  if (!specs.length) {
    box.append(h('p', { class: 'muted', text: 'No joint data for this video.' }));
    return;
  }
  specs.forEach((spec, i) => {
    const figure = h('figure', { class: 'chart', 'data-testid': i === 0 ? 'primary-chart' : undefined });
    figure.append(h('figcaption', { text: spec.title }));
    const holder = h('div');
    figure.append(holder);
    box.append(figure);
    current.charts.push(
      drawChart(holder, {
        ...spec,
        reps: model.reps,
        phases: model.phases,
        durationMs: model.durationMs,
        onSeek: seek,
        ...size,
      }),
    );
  });
}

/** Opinion of a measurement as an icon and a word (not colour alone). */
function opinionMark(opinion) {
  const o = String(opinion ?? '').toLowerCase().replace(/^opinion_/, '');
  if (o === 'good') return { cls: 'ok-text', icon: '✓', word: 'good' };
  if (o === 'bad') return { cls: 'bad-text', icon: '✗', word: 'outside the good range' };
  return { cls: '', icon: '', word: '' };
}

function renderRepTable(model) {
  const table = $('rep-table');
  table.replaceChildren();
  if (!model.reps.length) {
    table.append(h('caption', { class: 'muted', text: model.mode === 'timer' ? 'A timed exercise: see the hold time above.' : 'No reps detected.' }));
    return;
  }
  const specs = catalog.find((e) => e.id === model.activity)?.analyses ?? {};
  const types = [...new Set(model.reps.flatMap((r) => r.analyses.map((a) => a.type)).filter(Boolean))].slice(0, 4);
  const hasTempo = model.reps.some((r) => repTempo(r).downS !== undefined);
  const hasForm = model.reps.some((r) => r.goodForm !== undefined || r.analyses.some((a) => opinionMark(a.opinion).icon));
  table.append(h('caption', { class: 'visually-hidden', text: 'Each rep: timing, tempo, form and the measurements at its key moment' }));
  const head = [
    h('th', { scope: 'col', text: 'Rep' }),
    h('th', { scope: 'col', text: 'Starts at (s)' }),
    ...(hasTempo
      ? [h('th', { scope: 'col', title: 'Seconds going down (eccentric)', text: 'Down (s)' }), h('th', { scope: 'col', title: 'Seconds coming up (concentric)', text: 'Up (s)' })]
      : []),
    h('th', { scope: 'col', text: 'Total (s)' }),
    ...(hasForm ? [h('th', { scope: 'col', text: 'Form' })] : []),
    ...types.map((t) => {
      const { label, unit, hint } = analysisHeader(t, specs[t]);
      return h('th', { scope: 'col', title: hint || undefined }, `${label}${unit ? ` (${unit})` : ''}`, hint ? h('span', { class: 'th-hint', text: hint }) : null);
    }),
  ];
  table.append(h('thead', {}, h('tr', {}, ...head)));
  const body = h('tbody');
  for (const rep of model.reps) {
    const tempo = repTempo(rep);
    const bad = rep.analyses.filter((a) => opinionMark(a.opinion).word && String(a.opinion).toLowerCase().includes('bad'));
    const cells = [
      h(
        'th',
        { scope: 'row' },
        h('button', {
          type: 'button',
          class: 'rep-play',
          'data-rep': rep.index,
          text: `▶ ${rep.index}`,
          onclick: () => playRep(rep, { scroll: true }),
          'aria-label': `Play rep ${rep.index}`,
        }),
      ),
      h('td', { text: formatNumber(rep.startMs / 1000, 2) }),
    ];
    if (hasTempo) cells.push(h('td', { text: formatNumber(tempo.downS, 2) }), h('td', { text: formatNumber(tempo.upS, 2) }));
    cells.push(h('td', { text: formatNumber((rep.endMs - rep.startMs) / 1000, 2) }));
    if (hasForm) {
      const faulty = rep.goodForm === false || bad.length > 0;
      const what = bad.map((a) => analysisHeader(a.type, specs[a.type]).label.toLowerCase());
      cells.push(
        h('td', { class: faulty ? 'bad-text rep-fault' : 'ok-text rep-good', 'data-form': faulty ? 'fault' : 'good' }, faulty ? `✗ Fault${what.length ? `: ${what.join(', ')}` : ''}` : '✓ Good'),
      );
    }
    for (const t of types) {
      const a = rep.analyses.find((x) => x.type === t);
      const mark = opinionMark(a?.opinion);
      cells.push(
        h(
          'td',
          { class: mark.cls },
          a ? formatNumber(a.value, 1) : '–',
          mark.icon ? h('span', { 'aria-hidden': 'true', text: ` ${mark.icon}` }) : null,
          mark.word ? h('span', { class: 'visually-hidden', text: ` (${mark.word})` }) : null,
        ),
      );
    }
    // A click anywhere on the row plays the rep too (the button is the keyboard's way).
    const onclick = (event) => !event.target.closest('button') && playRep(rep, { scroll: true });
    body.append(h('tr', { 'data-rep': rep.index, class: 'rep-row', onclick }, ...cells));
  }
  table.append(body);
}

function renderFaults(model) {
  const box = $('faults');
  box.replaceChildren();
  if (!model.formViolations.length) {
    box.append(h('p', { class: 'muted', text: 'No form checks for this exercise.' }));
    return;
  }
  const checks = model.formViolations.map((f) => ({ ...f, ...formCheckText(f, model.repCount) }));
  const needWork = checks.filter((c) => !c.ok);
  box.append(
    needWork.length
      ? h('p', { class: 'bad-text' }, h('span', { 'aria-hidden': 'true', text: '⚠ ' }), `${needWork.length} of ${checks.length} form checks need work.`)
      : h('p', { class: 'ok-text' }, h('span', { 'aria-hidden': 'true', text: '✓ ' }), `Every form check passed on every rep (${checks.length} checks).`),
  );
  const list = h('ul', { class: 'faults' });
  for (const c of checks.sort((a, b) => b.rate - a.rate)) {
    list.append(
      h(
        'li',
        { class: c.ok ? 'passed' : 'flagged', 'data-check': c.key },
        h('span', { class: 'check-mark', 'aria-hidden': 'true', text: c.ok ? '✓' : '✗' }),
        h('strong', { text: c.label }),
        h('span', { class: c.ok ? 'ok-text' : 'bad-text', text: ` ${c.ok ? 'Passed' : 'Needs work'}: ${c.text}` }),
      ),
    );
  }
  box.append(list);
}

/** Polls a coaching thread until it is written (or fails, or the page moved on). */
async function awaitThread(threadId, stillWanted, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  while (stillWanted() && Date.now() < deadline) {
    const thread = await api.thread(threadId).catch(() => null);
    const status = String(thread?.status ?? '').toLowerCase();
    if (status === 'complete' || status === 'failed') return thread;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return null;
}

let coachingGeneration = 0;

async function loadCoaching(model, detail) {
  const box = $('coaching');
  const generation = ++coachingGeneration;
  const stillWanted = () => generation === coachingGeneration;
  box.replaceChildren(h('p', { class: 'muted', text: 'Asking the coach…' }));
  // A thread once written (a pending one is waited for, saying so), or null.
  const written = async (threadId, thread) => {
    if (thread && String(thread.status).toLowerCase() !== 'pending') return thread;
    box.replaceChildren(h('p', { class: 'muted', text: 'The coach is writing feedback from the measured reps…' }));
    return awaitThread(threadId, stillWanted);
  };
  const linesOf = (thread) => (String(thread?.status).toLowerCase() === 'complete' ? coachLines(thread.comment ?? thread.text) : []);
  const texts = [];
  let failure = null;
  // 1. Feedback carried with the result; 2. comment threads recorded on the session;
  // 3. the trainer's analysis for workout sessions; 4. otherwise the page asks the
  // coach for feedback on this analysis.
  for (const item of pick(detail, 'coaching', []) ?? []) texts.push(...coachingTexts(item));
  const attributes = pick(pick(detail, 'session', null), 'attributes', {}) ?? {};
  for (const threadId of recordedThreadIds(attributes)) {
    const thread = await api.thread(threadId).catch(() => null);
    if (thread) texts.push(...linesOf(await written(threadId, thread)));
    if (texts.length) break;
  }
  const kind = String(pick(pick(detail, 'session', null), 'kind', ''));
  if (!texts.length && /WORKOUT/i.test(kind)) {
    texts.push(...coachingTexts((await api.trainerCoaching(model.sessionId).catch(() => null))?.ai_analysis));
  }
  if (!texts.length && model.sessionId && stillWanted()) {
    const threadId = await api.requestCoaching(model.sessionId).catch(() => null);
    const thread = threadId ? await written(threadId, null) : null;
    texts.push(...linesOf(thread));
    if (!texts.length && thread?.error) failure = thread.error;
  }
  if (!stillWanted()) return;
  box.replaceChildren();
  const unique = [...new Set(texts)];
  if (!unique.length) {
    const why = failure ? `Coaching could not be written: ${failure}` : 'No coaching feedback is available for this video yet.';
    box.append(h('p', { class: 'muted', text: why }));
    return;
  }
  box.setAttribute('data-state', 'ready');
  for (const t of unique) box.append(h('p', { text: t }));
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  return h('li', {}, h('a', { href: url, download: name, text: name }));
}

function renderDownloads(model) {
  const list = $('downloads');
  list.querySelectorAll('a[href^="blob:"]').forEach((a) => URL.revokeObjectURL(a.href));
  list.replaceChildren();
  const entry = readHistory().find((e) => e.id === model.id);
  const base = downloadBase(model, entry?.filename, entry?.createdAt);
  if (model.reps.length) list.append(download(`${base}-reps.csv`, repsCsv(model), 'text/csv'));
  if (model.joints.frames.length) {
    list.append(download(`${base}-keypoints.json`, keypointsJson(model), 'application/json'));
    list.append(download(`${base}-keypoints.csv`, keypointsCsv(model), 'text/csv'));
    list.append(download(`${base}.trc`, trc(model, `${base}.trc`), 'text/plain'));
  }
  if (model.timesMs.length) {
    list.append(download(`${base}-angles.json`, anglesJson(model), 'application/json'));
    list.append(download(`${base}-angles.csv`, anglesCsv(model), 'text/csv'));
  }
  for (const [kind, o] of Object.entries(model.overlays)) {
    if (o.uri) list.append(h('li', {}, h('a', { href: o.uri, download: `${base}-${kind}.mp4`, text: `Annotated video (${kind})` })));
  }
  if (!list.children.length) list.append(h('li', { class: 'muted', text: 'Nothing to download yet.' }));
}

let resizeTimer = null;
let lastChartWidth = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    const width = $('charts').clientWidth;
    // Charts are drawn at their pixel width; redraw when it changes.
    if (current?.model && width !== lastChartWidth) {
      lastChartWidth = width;
      renderCharts(current.model);
      current.charts.forEach((c) => c.setTime($('result-video').currentTime * 1000));
      drawProgressCharts();
    }
  }, 150);
});

// ---------------------------------------------------------------- share links

/** The session the share card is about (null: none). */
let shareFor = null;
/** The link just created: {shareId, url} (shown in the box until revoked). */
let createdShare = null;

function fillShareLifetimes() {
  const select = $('share-ttl');
  select.replaceChildren(
    ...SHARE_LIFETIMES.map((l) => h('option', { value: String(l.seconds), selected: l.seconds === DEFAULT_SHARE_TTL_S, text: l.label })),
  );
  select.value = String(DEFAULT_SHARE_TTL_S);
}

function renderShare(model) {
  // Only a finished analysis is worth sending to the athlete.
  if (model.state !== 'complete') {
    show('share', false);
    shareFor = null;
    return;
  }
  show('share', true);
  if (shareFor !== model.sessionId) {
    shareFor = model.sessionId;
    createdShare = null;
    show('share-created', false);
    $('share-url').value = '';
    $('share-copied').textContent = '';
    setError('share-error', '');
    $('share-links').replaceChildren();
  }
  loadShares(model.sessionId);
}

async function loadShares(sessionId) {
  const box = $('share-links');
  try {
    const reply = await api.listShares(sessionId);
    if (shareFor !== sessionId) return;
    renderShareList(shareRows(reply));
  } catch (e) {
    if (shareFor !== sessionId) return;
    box.replaceChildren(h('p', { class: 'muted', text: `The links could not be listed: ${shareError(e)}` }));
  }
}

function renderShareList(rows) {
  const box = $('share-links');
  if (!rows.length) {
    box.replaceChildren(h('p', { class: 'muted', text: 'No links yet.' }));
    return;
  }
  const table = h('table', { id: 'share-table' });
  table.append(h('caption', { class: 'visually-hidden', text: 'Share links to this session: when each was created, until when it is valid, and whether it still works' }));
  table.append(h('thead', {}, h('tr', {}, ...['Created', 'Valid until', 'Status', 'Action'].map((t) => h('th', { scope: 'col', text: t })))));
  const body = h('tbody');
  for (const row of rows) {
    const cls = row.active ? 'ok-text' : 'muted';
    body.append(
      h(
        'tr',
        { 'data-share-id': row.id, 'data-status': row.status.toLowerCase() },
        h('td', { text: row.created || '–' }),
        h('td', { text: row.expires || '–' }),
        h('td', { class: cls }, h('span', { 'aria-hidden': 'true', text: row.active ? '✓ ' : '✕ ' }), row.status),
        h(
          'td',
          {},
          row.active
            ? h('button', {
                type: 'button',
                class: 'secondary share-revoke',
                'data-share-id': row.id,
                'aria-label': `Revoke the link created ${row.created}, valid until ${row.expires}`,
                onclick: (event) => revokeShare(row.id, event.currentTarget),
                text: 'Revoke',
              })
            : row.revoked
              ? `Revoked ${row.revoked}`
              : '',
        ),
      ),
    );
  }
  table.append(body);
  box.replaceChildren(h('div', { class: 'table-wrap' }, table));
}

async function revokeShare(shareId, button) {
  const sessionId = shareFor;
  if (!api || !sessionId) return;
  button.disabled = true;
  setError('share-error', '');
  try {
    await api.revokeShare(shareId);
    if (createdShare?.shareId === shareId) {
      createdShare = null;
      show('share-created', false);
      $('share-url').value = '';
    }
    $('share-copied').textContent = 'The link was revoked: it no longer opens the result.';
  } catch (e) {
    setError('share-error', shareError(e));
    button.disabled = false;
  }
  if (shareFor === sessionId) await loadShares(sessionId);
}

$('share-create').addEventListener('click', async () => {
  const sessionId = shareFor;
  if (!api || !sessionId) return;
  const button = $('share-create');
  button.disabled = true;
  setError('share-error', '');
  $('share-copied').textContent = '';
  try {
    const reply = await api.createShare(sessionId, Number($('share-ttl').value) || DEFAULT_SHARE_TTL_S);
    if (shareFor !== sessionId) return;
    const share = pick(reply, 'share', {}) ?? {};
    const url = shareUrl(location, pick(reply, 'token', ''), pick(reply, 'url', ''));
    createdShare = { shareId: String(pick(share, 'share_id', '')), url };
    $('share-url').value = url;
    const until = formatDay(pick(share, 'expires_at'));
    $('share-expiry').textContent = until ? `Valid until ${until}. Send it to the athlete; revoke it below to stop it working.` : '';
    show('share-created', true);
    $('share-url').focus();
    $('share-url').select();
    await loadShares(sessionId);
  } catch (e) {
    setError('share-error', shareError(e));
  } finally {
    button.disabled = false;
  }
});

$('share-copy').addEventListener('click', async () => {
  const input = $('share-url');
  const url = input.value;
  if (!url) return;
  try {
    await navigator.clipboard.writeText(url);
    $('share-copied').textContent = 'Copied the link.';
  } catch {
    input.focus();
    input.select();
    const copied = document.queryCommandSupported?.('copy') && document.execCommand('copy');
    $('share-copied').textContent = copied ? 'Copied the link.' : 'The link is selected: copy it with Ctrl+C (⌘C on a Mac).';
  }
});

// ---------------------------------------------------------------- progress over time

let progressGeneration = 0;

async function renderProgress(model) {
  const box = $('progress-over-time-body');
  const generation = ++progressGeneration;
  show('progress-over-time', true);
  $('progress-over-time-title').textContent = `Progress: ${activityLabel(model.activity)}`;
  box.replaceChildren(h('p', { class: 'muted', text: 'Loading your sessions…' }));
  const reply = await api?.listSessions(50).catch(() => null);
  if (generation !== progressGeneration || current?.model !== model) return;
  const points = progressPoints(reply, { exerciseId: model.activity, userId: me?.userId ?? '', currentId: model.sessionId });
  if (!hasProgress(points)) {
    box.replaceChildren(h('p', { class: 'muted', 'data-state': 'too-few', text: 'Need at least two analysed sessions of this exercise to show progress.' }));
    return;
  }
  const labels = progressLabels(points);
  const currentIndex = points.findIndex((p) => p.current);
  const charts = h('div', { class: 'progress-charts' });
  const figure = (title) => {
    const holder = h('div');
    charts.append(h('figure', { class: 'chart progress-chart' }, h('figcaption', { text: title }), holder));
    return holder;
  };
  const repsHolder = figure('Reps per session');
  const scores = points.map((p) => p.formScore);
  const formHolder = scores.some(Number.isFinite) ? figure('Form score per session (%)') : null;

  const table = h('table', { id: 'progress-table' });
  table.append(h('caption', { class: 'visually-hidden', text: `Analysed sessions of ${activityLabel(model.activity)}, oldest first` }));
  table.append(h('thead', {}, h('tr', {}, ...['Session', 'Reps', 'Form', 'Tempo (mean)'].map((t) => h('th', { scope: 'col', text: t })))));
  const body = h('tbody');
  points.forEach((p, i) => {
    const when = p.at ? new Date(p.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : labels[i];
    const first = p.current
      ? h('th', { scope: 'row' }, when, h('strong', { class: 'progress-this', text: ' (this session)' }))
      : h(
          'th',
          { scope: 'row' },
          h('button', {
            type: 'button',
            class: 'link-button progress-open',
            'data-video-id': p.id,
            'aria-label': `Open the session of ${when}`,
            onclick: () => {
              setHash(p.id, true);
              openVideo(p.id, { scroll: true });
            },
            text: when,
          }),
        );
    body.append(
      h(
        'tr',
        { 'data-video-id': p.id, class: p.current ? 'progress-current' : undefined, 'aria-current': p.current ? 'true' : undefined },
        first,
        h('td', { text: String(p.reps) }),
        h('td', { text: formText(p) }),
        h('td', { text: tempoText(p) }),
      ),
    );
  });
  table.append(body);
  const since = labels[0];
  const trend = [
    trendText(points, 'reps', ' reps', since) && `Reps ${trendText(points, 'reps', '', since)}`,
    trendText(points, 'formScore', '%', since) && `form score ${trendText(points, 'formScore', '%', since)}`,
  ].filter(Boolean);
  const summaryLine = h('p', { class: 'progress-trend', text: `${points.length} sessions. ${trend.join('; ')}${trend.length ? '.' : ''}` });
  box.replaceChildren(summaryLine, charts, h('div', { class: 'table-wrap' }, table));
  progressCharts = [[repsHolder, { title: 'Reps', values: points.map((p) => p.reps), labels, currentIndex, color: PALETTE[0] }]];
  if (formHolder) progressCharts.push([formHolder, { title: 'Form score', values: scores, labels, currentIndex, unit: '%', color: PALETTE[2] }]);
  drawProgressCharts();
}

/** The progress charts last shown: [holder, options] (redrawn at a new width). */
let progressCharts = [];

function drawProgressCharts() {
  for (const [holder, options] of progressCharts) if (holder.isConnected) drawProgressChart(holder, options);
}

// ---------------------------------------------------------------- share mode

/**
 * The page opened with `#share=<token>`: the shared result, read-only, without a key.
 * Nothing is written (no coaching requested, no history kept).
 */
async function openShared(token) {
  shareToken = token;
  document.body.classList.add('share-mode');
  document.title = 'Shared result — fitvision';
  for (const id of ['intro', 'signin', 'account', 'upload', 'live', 'sessions', 'docs', 'share', 'progress-over-time', 'compare']) show(id, false);
  show('app', true);
  show('results', false);
  const abort = new AbortController();
  current = { abort, charts: [], model: null, id: null };
  try {
    const reply = await getShared(token);
    const guru = pick(reply, 'video', null);
    const detail = detailFrom(pick(reply, 'detail', null));
    const share = pick(reply, 'share', null);
    const id = guru?.id ?? pick(share, 'session_id', '');
    const model = buildViewModel(id, guru, detail);
    current = { abort, charts: [], model, id };
    show('results', true);
    $('share-banner').textContent = sharedBanner(share);
    show('share-banner', true);
    renderResults(model);
    if (model.state === 'pending') {
      $('results-warning').textContent = 'This result is still being analysed. Open the link again in a minute.';
      show('results-warning', true);
    }
    renderSharedCoaching(pick(pick(reply, 'detail', null), 'coaching', null));
    followOverlay(id, abort.signal);
  } catch (e) {
    show('app', false);
    show('shared-error', true);
    $('shared-error-text').textContent = sharedLinkError(e);
  }
}

/** Coaching written before the link was shared (never asked for here). */
function renderSharedCoaching(coaching) {
  const box = $('coaching');
  const lines = sharedCoachingLines(coaching);
  box.replaceChildren();
  if (!lines.length) {
    box.append(h('p', { class: 'muted', text: 'No coaching feedback was written for this result.' }));
    return;
  }
  box.setAttribute('data-state', 'ready');
  for (const t of lines) box.append(h('p', { text: t }));
}

// A different share link (or none) typed into the address: start again from it.
window.addEventListener('hashchange', () => {
  if (shareTokenFromHash(location.hash) !== shareToken) location.reload();
});

// ---------------------------------------------------------------- print

$('print-summary').addEventListener('click', () => window.print());

/** Charts are redrawn for paper (two side by side) while printing, then for the screen. */
function setPrinting(value) {
  if (printing === value) return;
  printing = value;
  if (!current?.model || $('results').hidden) return;
  renderCharts(current.model);
  current.charts.forEach((c) => c.setTime($('result-video').currentTime * 1000));
}
window.addEventListener('beforeprint', () => setPrinting(true));
window.addEventListener('afterprint', () => setPrinting(false));
window.matchMedia?.('print').addEventListener?.('change', (event) => setPrinting(event.matches));

// ---------------------------------------------------------------- sessions

let refreshing = null;

async function refreshSessions() {
  // One refresh at a time; a request during one runs once it ends.
  if (refreshing) {
    refreshing.again = true;
    return;
  }
  refreshing = { again: false };
  try {
    await renderSessions();
  } finally {
    const again = refreshing.again;
    refreshing = null;
    if (again && api) refreshSessions();
  }
}

async function renderSessions() {
  const list = $('session-list');
  if (!api) return;
  const local = readHistory();
  const server = await api.listSessions().catch(() => null);
  if (!api) return;
  const byId = new Map(local.map((e) => [e.id, e]));
  // A Guru video id is its session id, so sessions are listed (and opened) by session id.
  for (const s of pick(server, 'sessions', []) ?? []) {
    const id = pick(s, 'session_id');
    const videos = pick(s, 'videos', []) ?? [];
    const v = videos[videos.length - 1];
    if (!id || !v) continue;
    const state = enumName(pick(v, 'status'), 'VIDEO_STATUS_');
    const known = byId.get(id);
    const fromServer = {
      id,
      filename: String(pick(v, 'filename', '') || pick(s, 'title', '')).slice(0, MAX_NAME),
      activity: pick(v, 'exercise_id', '') || pick(s, 'exercise_id', ''),
      createdAt: pick(v, 'created_at', '') || pick(s, 'created_at', ''),
      state,
      owner: pick(s, 'user_id', '') || pick(pick(s, 'user', null), 'user_id', ''),
      reason: /fail|block/.test(state) ? failureText(pick(v, 'failure_code', ''), pick(v, 'failure_reason', '')) : undefined,
      repCount: state === 'complete' ? num(pick(pick(v, 'result', null), 'rep_count')) ?? 0 : undefined,
    };
    // The server knows the status; this browser may know more (its own upload's reason).
    byId.set(id, known ? { ...fromServer, ...known, state: fromServer.state || known.state, owner: fromServer.owner || known.owner } : fromServer);
  }
  // Created but never uploaded: not a session (unless this browser is uploading it now).
  const entries = [...byId.values()]
    .filter((e) => !(statusLabel(e.state) === 'Not uploaded' && e.id !== progressFor))
    .sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? '')));
  list.replaceChildren();
  sessionEntries = entries;
  if (current?.model) renderCompareChoices(current.model);
  if (!entries.length) {
    list.append(h('li', { class: 'muted', text: 'Uploaded videos will appear here.' }));
    return;
  }
  for (const e of entries.slice(0, 50)) {
    const when = e.createdAt ? new Date(e.createdAt).toLocaleString() : '';
    const status = statusLabel(e.state);
    const owner = e.owner && e.owner !== me?.userId ? `by ${truncateMiddle(e.owner, 24)}` : '';
    const details = [
      status,
      status === 'Complete' && e.repCount !== undefined && e.repCount !== null ? `${e.repCount} reps` : '',
      owner,
      when,
    ].filter(Boolean);
    list.append(
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'session-item',
            'data-video-id': e.id,
            'data-state': status.toLowerCase().replace(/\s+/g, '-'),
            'aria-current': current?.id === e.id ? 'true' : undefined,
            onclick: () => {
              setHash(e.id, true);
              openVideo(e.id, { scroll: true });
            },
          },
          h('span', { class: 'session-title' }, h('strong', { text: activityLabel(e.activity) }), ' ', h('span', { class: 'session-name', title: e.filename || undefined, text: truncateMiddle(e.filename || e.id, 80) })),
          h('span', { class: 'session-meta muted', text: details.join(' · ') }),
          status === 'Failed' && e.reason ? h('span', { class: 'session-reason bad-text', text: `✗ ${truncateMiddle(failureText(e.reason), 200)}` }) : null,
        ),
      ),
    );
  }
}

// ---------------------------------------------------------------- start

// ---------------------------------------------------------------- live

let liveSet = null;

function fillLiveActivities() {
  const select = $('live-activity');
  for (const item of LIVE_ACTIVITIES) select.append(h('option', { value: item, text: activityLabel(item) }));
}

function liveEnded() {
  liveSet = null;
  $('live-start').disabled = false;
  $('live-stop').disabled = true;
}

$('live-start').addEventListener('click', async () => {
  if (!api || liveSet) return;
  setError('live-error', '');
  $('live-count').textContent = '0';
  $('live-cues').replaceChildren();
  $('live-status').textContent = 'Starting the camera…';
  $('live-start').disabled = true;
  show('live-stage', true);
  const overlay = $('live-overlay');
  liveSet = new LiveSet(api, $('live-video'), {
    pose: (pose) => {
      overlay.width = pose.width;
      overlay.height = pose.height;
      drawPose(overlay, pose);
    },
    rep: (rep) => {
      $('live-count').textContent = String(rep.count);
    },
    cue: (cue) => {
      $('live-cues').prepend(h('li', { text: `Rep ${cue.rep_index + 1}: ${cue.message}` }));
    },
    status: (status) => {
      const checks = (status.checks || []).map((c) => c.reason).join('; ');
      $('live-status').textContent =
        `Analysing ${formatNumber(status.analysed_fps, 0)} frames/s` +
        (status.frames_dropped ? ` (${status.frames_dropped} skipped to keep up)` : '') +
        (checks ? ` · ${checks}` : '');
    },
    summary: (summary) => {
      $('live-count').textContent = String(summary.rep_count);
      $('live-status').textContent = summary.video_id
        ? `Saved: ${summary.rep_count} reps. It is in your sessions below.`
        : `Done: ${summary.rep_count} reps.`;
      if (summary.video_id) refreshSessions();
    },
    error: (error) => setError('live-error', `The live set stopped: ${error.message}`),
    closed: liveEnded,
  });
  try {
    await liveSet.start($('live-activity').value, $('live-record').checked);
    $('live-stop').disabled = false;
    $('live-status').textContent = 'Counting…';
  } catch (e) {
    setError('live-error', e.name === 'NotAllowedError'
      ? 'The camera was not allowed. Allow it in the browser to count live.'
      : `Could not start: ${e.message}`);
    liveSet?.stopCamera();
    liveEnded();
  }
});

$('live-stop').addEventListener('click', () => {
  $('live-stop').disabled = true;
  $('live-status').textContent = 'Saving the set…';
  liveSet?.finish();
});

fillLiveActivities();
fillActivities();
fillShareLifetimes();
wireDropZone();
const sharedToken = shareTokenFromHash(location.hash);
if (sharedToken) openShared(sharedToken);
else {
  const key = storedKey();
  if (key) signedIn(key);
  else signedOut();
}
