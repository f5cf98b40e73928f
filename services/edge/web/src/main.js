// The page: sign in, upload (Guru flow), live progress, then results.
import './style.css';
import { ACTIVITY_GROUPS, activityLabel, domainOf, isLift } from './activities.js';
import { Api, ApiError, storedKey, storeKey } from './api.js';
import { PALETTE, drawChart } from './chart.js';
import { anglesCsv, anglesJson, keypointsCsv, keypointsJson, trc } from './exports.js';
import { enumName, humanise, pick } from './fields.js';
import { formatNumber, formatSeconds, splitUnit } from './format.js';
import { anglesFromFrames, keyJointsFor } from './joints.js';
import { buildViewModel } from './model.js';
import { addToHistory, readHistory } from './history.js';
import { streamEvents } from './sse.js';
import { coachingTexts } from './coaching.js';
import { LIVE_ACTIVITIES, LiveSet, drawPose } from './live.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;

let api = null;
let selectedFile = null;
let current = null; // {model, charts: [], abort: AbortController}
let watchAbort = null;

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

function signedIn(key) {
  api = new Api(key);
  show('signin', false);
  show('app', true);
  show('account', true);
  refreshSessions();
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('video');
  if (fromHash) openVideo(fromHash);
}

function signedOut() {
  api = null;
  storeKey('');
  show('app', false);
  show('account', false);
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

function fillActivities() {
  const select = $('activity');
  select.append(h('option', { value: '', text: 'Choose an exercise…' }));
  for (const group of ACTIVITY_GROUPS) {
    const optgroup = h('optgroup', { label: group.label });
    for (const item of group.items) optgroup.append(h('option', { value: item, text: activityLabel(item) }));
    select.append(optgroup);
  }
  select.addEventListener('change', updateUploadButton);
}

function updateUploadButton() {
  $('upload-button').disabled = !(selectedFile && $('activity').value);
}

function chooseFile(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('video/')) {
    setError('upload-error', `${file.name} is not a video.`);
    return;
  }
  setError('upload-error', '');
  selectedFile = file;
  $('file-name').textContent = `${file.name} · ${(file.size / 1048576).toFixed(1)} MB`;
  updateUploadButton();
}

function wireDropZone() {
  const zone = $('drop-zone');
  const input = $('file-input');
  input.addEventListener('change', () => chooseFile(input.files[0]));
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
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

function setProgress(percent, stage, message) {
  show('progress', true);
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  $('progress-bar').value = p;
  $('progress-bar').textContent = `${Math.round(p)}%`;
  $('progress-percent').textContent = `${Math.round(p)}%`;
  if (stage) $('progress-stage').textContent = humanise(stage);
  $('progress-message').textContent = message || '';
}

$('upload-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!selectedFile || !api) return;
  const activity = $('activity').value;
  const file = selectedFile;
  setError('upload-error', '');
  $('upload-button').disabled = true;
  try {
    setProgress(0, 'creating', 'Registering the video');
    const created = await api.createVideo({
      filename: file.name,
      size: file.size,
      activity,
      domain: domainOf(activity),
    });
    const id = created.id;
    addToHistory({ id, filename: file.name, activity, createdAt: new Date().toISOString() });
    refreshSessions();
    await api.uploadVideo(created.url, created.fields, file, (fraction) =>
      setProgress(fraction * 100, 'uploading', `${Math.round(fraction * 100)}% of ${file.name} sent`),
    );
    setProgress(0, 'queued', 'Uploaded; waiting for analysis');
    await watchUntilDone(id);
    await openVideo(id);
  } catch (e) {
    if (e.name !== 'AbortError') setError('upload-error', e.message);
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
}

// ---------------------------------------------------------------- results

async function openVideo(id) {
  current?.abort.abort();
  const abort = new AbortController();
  current = { abort, charts: [], model: null };
  history.replaceState(null, '', `#video=${encodeURIComponent(id)}`);
  show('results', true);
  $('results-subtitle').textContent = 'Loading…';
  try {
    const [guru, detail] = await Promise.all([api.getVideo(id, 'analysis,j2p'), api.getVideoDetail(id)]);
    const model = buildViewModel(id, guru, detail);
    current.model = model;
    renderResults(model);
    addToHistory({ id, activity: model.activity, repCount: model.repCount, state: model.state });
    refreshSessions();
    if (model.state === 'pending') watchUntilDone(id).then(() => openVideo(id)).catch(() => {});
    else followOverlay(id, abort.signal);
    loadCoaching(model, detail);
  } catch (e) {
    if (e.name === 'AbortError') return;
    $('results-subtitle').textContent = '';
    setError('upload-error', e instanceof ApiError && e.status === 404 ? `Video ${id} was not found.` : e.message);
  }
}

function renderResults(model) {
  $('results-subtitle').textContent =
    `${activityLabel(model.activity)} · ${model.state === 'complete' ? 'analysis complete' : model.state}` +
    (model.durationMs ? ` · ${formatSeconds(model.durationMs)}` : '');
  const warnings = [...model.warnings];
  if (model.state === 'failed') warnings.unshift(`Analysis failed${model.reason ? `: ${model.reason}` : ''}.`);
  $('results-warning').textContent = warnings.join(' ');
  show('results-warning', warnings.length > 0);

  renderVideo(model);
  renderMetrics(model);
  renderAuthenticity(model.authenticity);
  renderCharts(model);
  renderRepTable(model);
  renderFaults(model);
  renderDownloads(model);
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
    const t = video.currentTime || 0;
    video.src = src;
    video.addEventListener('loadedmetadata', () => (video.currentTime = Math.min(t, video.duration || t)), { once: true });
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
      await sleep(POLL_MS, signal);
      const guru = await api.getVideo(id, 'analysis');
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
        'aria-label': `Jump to rep ${rep.index} (${formatSeconds(rep.startMs)})`,
        onclick: () => seek(rep.startMs),
        text: String(rep.index),
      }),
    );
  }
}

function seek(ms) {
  const video = $('result-video');
  video.currentTime = ms / 1000;
}

$('result-video').addEventListener('timeupdate', () => {
  const video = $('result-video');
  const model = current?.model;
  const ms = video.currentTime * 1000;
  const durationMs = model?.durationMs || (video.duration ? video.duration * 1000 : 0);
  if (durationMs) $('rep-timeline-progress').style.width = `${Math.min(100, (100 * ms) / durationMs)}%`;
  for (const chart of current?.charts ?? []) chart.setTime(ms);
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

function renderCharts(model) {
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
      }),
    );
  });
}

function renderRepTable(model) {
  const table = $('rep-table');
  table.replaceChildren();
  if (!model.reps.length) {
    table.append(h('caption', { class: 'muted', text: 'No reps detected.' }));
    return;
  }
  const types = [...new Set(model.reps.flatMap((r) => r.analyses.map((a) => a.type)).filter(Boolean))].slice(0, 4);
  table.append(
    h('thead', {}, h('tr', {}, ...['#', 'Start', 'End', 'Duration', ...types.map((t) => humanise(String(t).toLowerCase()))].map((t) => h('th', { scope: 'col', text: t })))),
  );
  const body = h('tbody');
  for (const rep of model.reps) {
    const cells = [
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link-button', text: String(rep.index), onclick: () => seek(rep.startMs), 'aria-label': `Play rep ${rep.index}` })),
      h('td', { text: formatSeconds(rep.startMs) }),
      h('td', { text: formatSeconds(rep.endMs) }),
      h('td', { text: formatSeconds(rep.endMs - rep.startMs) }),
    ];
    for (const t of types) {
      const a = rep.analyses.find((x) => x.type === t);
      const opinion = String(a?.opinion ?? '').toLowerCase();
      cells.push(h('td', { class: opinion === 'bad' ? 'bad-text' : opinion === 'good' ? 'ok-text' : '', text: a ? formatNumber(a.value, 1) : '–' }));
    }
    body.append(h('tr', {}, ...cells));
  }
  table.append(body);
}

function renderFaults(model) {
  const box = $('faults');
  box.replaceChildren();
  const faults = model.formViolations.filter((f) => f.count > 0);
  if (!model.formViolations.length) {
    box.append(h('p', { class: 'muted', text: 'No form checks for this exercise.' }));
    return;
  }
  if (!faults.length) box.append(h('p', { class: 'ok-text', text: 'Every form check passed.' }));
  const list = h('ul', { class: 'faults' });
  for (const f of [...model.formViolations].sort((a, b) => b.rate - a.rate)) {
    list.append(
      h(
        'li',
        { class: f.count > 0 ? 'flagged' : '' },
        h('strong', { text: f.label }),
        ` ${f.count} of ${f.total} checks`,
        h('meter', { min: 0, max: 1, value: f.rate, high: 0.3, optimum: 0, 'aria-label': `${Math.round(f.rate * 100)}% violated` }),
      ),
    );
  }
  box.append(list);
}

async function loadCoaching(model, detail) {
  const box = $('coaching');
  box.replaceChildren(h('p', { class: 'muted', text: 'Asking the coach…' }));
  const texts = [];
  // 1. Feedback carried with the result; 2. comment threads recorded on the
  // session; 3. the trainer's on-demand analysis for workout sessions.
  for (const item of pick(detail, 'coaching', []) ?? []) texts.push(...coachingTexts(item));
  const attributes = pick(pick(detail, 'session', null), 'attributes', {}) ?? {};
  const threadIds = Object.entries(attributes)
    .filter(([k]) => k.startsWith('threads.'))
    .map(([, v]) => v);
  for (const threadId of threadIds.slice(0, 6)) {
    const thread = await api.thread(threadId).catch(() => null);
    if (thread && String(thread.status).toLowerCase() === 'complete') texts.push(...coachingTexts(thread.comment ?? thread.text));
  }
  const kind = String(pick(pick(detail, 'session', null), 'kind', ''));
  if (!texts.length && /WORKOUT/i.test(kind)) {
    texts.push(...coachingTexts((await api.trainerCoaching(model.sessionId).catch(() => null))?.ai_analysis));
  }
  box.replaceChildren();
  const unique = [...new Set(texts)];
  if (!unique.length) {
    box.append(h('p', { class: 'muted', text: 'No coaching feedback is available for this video yet.' }));
    return;
  }
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
  const base = `fitvision-${model.id}`;
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
    }
  }, 150);
});

// ---------------------------------------------------------------- sessions

async function refreshSessions() {
  const list = $('session-list');
  const local = readHistory();
  const server = await api?.listSessions().catch(() => null);
  const byId = new Map(local.map((e) => [e.id, e]));
  // A Guru video id is its session id, so sessions are listed (and opened) by session id.
  for (const s of pick(server, 'sessions', []) ?? []) {
    const id = pick(s, 'session_id');
    const videos = pick(s, 'videos', []) ?? [];
    const v = videos[videos.length - 1];
    if (!id || !v || byId.has(id)) continue;
    byId.set(id, {
      id,
      filename: pick(v, 'filename', ''),
      activity: pick(v, 'exercise_id', '') || pick(s, 'exercise_id', ''),
      createdAt: pick(v, 'created_at', '') || pick(s, 'created_at', ''),
      state: enumName(pick(v, 'status'), 'VIDEO_STATUS_'),
      repCount: pick(pick(v, 'result', null), 'rep_count'),
    });
  }
  const entries = [...byId.values()].sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? '')));
  list.replaceChildren();
  if (!entries.length) {
    list.append(h('li', { class: 'muted', text: 'Uploaded videos will appear here.' }));
    return;
  }
  for (const e of entries.slice(0, 50)) {
    const when = e.createdAt ? new Date(e.createdAt).toLocaleString() : '';
    list.append(
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'session-item', 'data-video-id': e.id, onclick: () => openVideo(e.id) },
          h('strong', { text: activityLabel(e.activity) }),
          h('span', { class: 'muted', text: ` ${e.filename || e.id}` }),
          h('span', { class: 'muted', text: ` · ${when}${e.repCount !== undefined ? ` · ${e.repCount} reps` : ''}` }),
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
wireDropZone();
const key = storedKey();
if (key) signedIn(key);
else signedOut();
