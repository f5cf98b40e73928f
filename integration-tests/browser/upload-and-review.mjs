// Browser test of the fitvision page, against a running suite (`fitvision serve`).
//
// Debian chromium driven by playwright-core. Signed out, the first screen says
// what the product does and how to film. Then: sign in with an API key (the page
// says who is signed in); the exercise menu offers exactly the server's enabled
// catalog and POST /videos accepts every option; upload a real clip and reload
// mid-analysis (the page comes back to the progress, not to a "0 reps" result);
// when the analysis ends check that
//   - the rep count shown (#rep-count) equals the API's (GET /videos/{id}?include=analysis),
//   - the primary chart has one shaded band (.rep-band) per rep, seekable by keyboard,
//   - the rep table has tempo and form columns and fits 1366 px; the Form card says passed/failed,
//   - the page asks the coach for feedback, which appears and names the measured rep count,
//   - a per-rep CSV (one row per rep) is offered under a name with the exercise, upload and date,
//   - a second session of the same clip is compared with the first (reps, tempo side by side,
//     both angle curves on one chart),
//   - the annotated video plays; "Play rep 2" plays that rep at 0.5x with the player in view,
//     and switching overlay keeps it playing; rep buttons and radios are >= 44 px,
//   - Back and Forward move between the app's views; a hostile 100,000-character
//     history name is truncated and escaped; 390x844 has no horizontal scroll,
//   - Progress lists both sessions of the exercise oldest first (reps, form, tempo), this one
//     marked, with a chart point per session; the older one opens from the keyboard,
//   - a share link (7 days) is created from the page; opened in a fresh browser (no key, no
//     storage) it shows the result with the API's rep count, the coaching, no key box and no
//     upload/history/compare/progress/share controls, read with no credential and storing
//     nothing; revoked from the page, it says so in a fresh browser; an unknown link says so,
//   - Print summary prints; under print media the video, upload, history and controls are
//     hidden and the rep count, rep table, chart, form and coaching shown; the PDF of the
//     page is exactly one A4 and one Letter page,
//   - a non-video upload shows the plain message, the progress in its error state,
//     clears the previous result and lists no session (here or on the server),
//   - every option of the exercise menu analyses a short real clip (4 s at 360p, cut at
//     test time) to a result: complete, or failed with its reason in words on the page
//     (FITVISION_BROWSER_MENU_CLIPS=0 skips this),
//   - axe-core finds no serious or critical violation (signed out, results, shared result, error),
//   - signing out clears the stored history.
// Screenshots go to integration-tests/artifacts/; small ones of the main views to
// integration-tests/artifacts/review/ (committed for review).
//
// Env: FITVISION_EDGE_URL (default http://127.0.0.1:8080), FITVISION_API_KEY (required),
//      FITVISION_TEST_VIDEO (default ../shared/videos/squat_side_3reps.mp4 next to the repo),
//      FITVISION_TEST_ACTIVITY (default squat), CHROMIUM (default /usr/bin/chromium),
//      FITVISION_BROWSER_TIMEOUT_S (default 600), FITVISION_BROWSER_MENU_CLIPS (0: skip the
//      clip per menu option), FITVISION_BROWSER_MENU_TIMEOUT_S (default 360).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { launchBrowser, runInBrowser } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const base = (process.env.FITVISION_EDGE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const apiKey = process.env.FITVISION_API_KEY ?? '';
const video = process.env.FITVISION_TEST_VIDEO ?? resolve(repo, '../shared/videos/squat_side_3reps.mp4');
const activity = process.env.FITVISION_TEST_ACTIVITY ?? 'squat';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const timeoutMs = Number(process.env.FITVISION_BROWSER_TIMEOUT_S ?? 600) * 1000;
const artifacts = resolve(repo, 'integration-tests/artifacts');
const review = join(artifacts, 'review');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const NOT_A_VIDEO = 'This file is not a video we can read: MP4, MOV or WebM.';
const videos = dirname(video);
const ffmpegOk = spawnSync('ffmpeg', ['-version']).status === 0;
const menuClips = process.env.FITVISION_BROWSER_MENU_CLIPS !== '0' && ffmpegOk && existsSync(join(videos, 'ground_truth.json'));
const menuTimeoutMs = Number(process.env.FITVISION_BROWSER_MENU_TIMEOUT_S ?? 360) * 1000;

function skip(reason) {
  console.log(`SKIPPED: ${reason}`);
  process.exit(0);
}

if (!apiKey) {
  console.error('FITVISION_API_KEY is required');
  process.exit(2);
}
if (!existsSync(video)) skip(`${video} not found (the shared videos are absent)`);
if (!existsSync(executablePath)) {
  console.error(`${executablePath} not found: apt-get install -y chromium (scripts/setup.sh does)`);
  process.exit(2);
}

async function api(path, { method = 'GET', json } = {}) {
  const headers = { Authorization: `API-KEY ${apiKey}` };
  if (json) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: json ? JSON.stringify(json) : undefined });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** A clip of `exercise` from the shared videos' ground truth (an honest one-person
 * recording first), else a one-person clip of any exercise. */
function clipFor(exercise) {
  const truth = JSON.parse(readFileSync(join(videos, 'ground_truth.json'), 'utf8'));
  const matches = truth.filter((c) => c.exercise === exercise && c.people === 1 && existsSync(join(videos, c.file)));
  const best = matches.find((c) => c.honest === true) ?? matches.find((c) => c.honest !== false) ?? matches[0];
  return best?.file ?? 'squat_bodyweight_side_bluewall.mp4';
}

/**
 * ffmpeg run without blocking the event loop. A blocking run (spawnSync) longer than the
 * edge's keep-alive idle limit let the edge close a pooled connection that undici, its
 * loop stalled, had not yet seen closed: the next POST went out on it and failed with
 * "other side closed" (seen once in CI). undici does not retry a non-idempotent request.
 */
const execFileAsync = promisify(execFile);
async function ffmpeg(args) {
  try {
    await execFileAsync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
    return { ok: true, stderr: '' };
  } catch (error) {
    return { ok: false, stderr: String(error.stderr ?? error.message) };
  }
}

let clipDir = null;
/** The first 4 s of a shared clip at 360p (made at test time; the clips stay outside the repository). */
async function shortClip(file) {
  clipDir ??= mkdtempSync(join(tmpdir(), 'fitvision-menu-clips-'));
  const out = join(clipDir, `short-${basename(file)}`);
  const r = await ffmpeg(['-t', '4', '-i', join(videos, file), '-vf', 'scale=-2:360', '-an', '-c:v', 'libx264', '-preset', 'veryfast', out]);
  assert.ok(r.ok, `ffmpeg ${file}: ${r.stderr}`);
  return out;
}

/** A Guru upload (POST /videos, then the multipart upload); null when the tenant has too many in flight (429). */
async function uploadClip(path, activity, domain) {
  const bytes = readFileSync(path);
  const name = `menu-${activity}.mp4`;
  const response = await fetch(`${base}/videos`, {
    method: 'POST',
    headers: { Authorization: `API-KEY ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: name, size: bytes.length, activity, domain }),
  });
  if (response.status === 429) return null;
  assert.ok(response.ok, `POST /videos (${activity}): HTTP ${response.status} ${await response.clone().text()}`);
  const created = await response.json();
  const form = new FormData();
  for (const [k, v] of Object.entries(created.fields ?? {})) form.append(k, v);
  form.append('file', new Blob([bytes], { type: 'video/mp4' }), name);
  const upload = await fetch(new URL(created.url, `${base}/`), { method: 'POST', body: form, headers: { Authorization: `API-KEY ${apiKey}` } });
  assert.ok(upload.ok, `upload (${activity}): HTTP ${upload.status} ${(await upload.text()).slice(0, 200)}`);
  return created.id;
}

/** A small PNG of the view for review (downscaled with ffmpeg when present). */
async function reviewShot(page, name) {
  mkdirSync(review, { recursive: true });
  const full = join(review, `${name}.full.png`);
  const out = join(review, `${name}.png`);
  await page.screenshot({ path: full, fullPage: false });
  const r = await ffmpeg(['-i', full, '-vf',
    "scale='min(720,iw)':-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=96[p];[b][p]paletteuse=dither=none", out]);
  if (r.ok) rmSync(full, { force: true });
  else renameSync(full, out);
}

/** axe-core on the page as it is: the serious and critical violations. */
async function axe(page, label) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') forbids inline scripts.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(`${axeSource}\n;void 0`);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  return { label, violations: result.length, serious };
}

async function visible(page, selector) {
  return page.$eval(selector, (n) => !n.hidden && !n.closest('[hidden]') && n.getBoundingClientRect().height > 0).catch(() => false);
}

const log = (...args) => console.log(`[browser-test ${new Date().toISOString().slice(11, 19)}]`, ...args);

await runInBrowser(
  {
    name: 'browser',
    executablePath,
    artifacts,
    extraArgs: ['--autoplay-policy=no-user-gesture-required'],
  },
  async (page, summary) => {
    Object.assign(summary, { video, activity, base });
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    summary.axe = [];

    // ---- first screen (signed out): what it does and how to film.
    log('open', base);
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#signin:not([hidden])');
    assert.ok(await visible(page, '#intro'), 'the first screen leads with what the product does');
    const intro = await page.textContent('#intro');
    assert.match(intro, /How to film/);
    assert.match(intro, /side-on/);
    await reviewShot(page, 'signin');
    summary.axe.push(await axe(page, 'signed out'));

    await page.fill('#api-key', apiKey);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])', { timeout: 30_000 });
    await page.waitForFunction(() => /Signed in as /.test(document.getElementById('account-label').textContent), null, { timeout: 10_000 });
    summary.account_label = (await page.textContent('#account-label')).trim();
    assert.ok(!(await visible(page, '#intro')), 'the intro gives way to the app once signed in');

    // ---- the menu: exactly the enabled catalog, each option accepted by POST /videos.
    await page.waitForFunction(() => document.querySelectorAll('#activity option[data-domain]').length > 0);
    const offered = await page.$$eval('#activity option[data-domain]', (nodes) => nodes.map((n) => ({ id: n.value, domain: n.dataset.domain })));
    const catalog = await api('/v1/catalog/exercises');
    const enabled = catalog.exercises.filter((e) => e.enabled !== false).map((e) => e.exerciseId ?? e.exercise_id).sort();
    assert.deepEqual(offered.map((o) => o.id).sort(), enabled, 'the menu offers the enabled catalog');
    const accepted = [];
    for (const option of offered) {
      const created = await api('/videos', { method: 'POST', json: { filename: 'menu-check.mp4', size: 1000, activity: option.id, domain: option.domain } });
      accepted.push(option.id);
      await api(`/v1/sessions/${encodeURIComponent(created.id)}`, { method: 'DELETE' });
    }
    summary.menu_options = accepted.length;
    await page.selectOption('#activity', 'squat');
    assert.match(await page.textContent('#activity-guidance'), /Bodyweight squat/, 'Squat says how it differs from Bodyweight squat');
    await page.selectOption('#activity', 'bodyweight_squat');
    assert.match(await page.textContent('#activity-guidance'), /Barbell squat/);

    // ---- upload, then reload mid-analysis.
    log('upload', video, 'as', activity);
    await page.setInputFiles('#file-input', video);
    await page.selectOption('#activity', activity);
    const started = Date.now();
    await page.click('#upload-button');
    const stages = new Set();
    const deadline = started + timeoutMs;
    let reloaded = false;
    while (Date.now() < deadline) {
      const stage = (await page.textContent('#progress-stage').catch(() => null))?.trim();
      if (stage) stages.add(stage);
      const error = await page.$eval('#upload-error', (n) => (n.hidden ? '' : n.textContent)).catch(() => '');
      if (error) throw new Error(`page reported: ${error}`);
      if (!reloaded && stage && !/^(Starting|Creating|Uploading)$/.test(stage)) {
        const id = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('video');
        assert.ok(id, 'the address names the video as soon as the upload starts');
        const before = await api(`/videos/${encodeURIComponent(id)}?include=analysis`);
        log('reload mid-analysis at', stage, 'analysis', before.analysis?.status);
        await page.reload({ waitUntil: 'domcontentloaded' });
        reloaded = true;
        await page.waitForSelector('#progress:not([hidden])', { timeout: 15_000 });
        const after = await api(`/videos/${encodeURIComponent(id)}?include=analysis`);
        if (String(after.analysis?.status).toLowerCase() === 'pending') {
          assert.ok(!(await visible(page, '#results')), 'a pending video is shown as progress, not as a 0-rep result');
          summary.reload_progress_stage = (await page.textContent('#progress-stage')).trim();
          await reviewShot(page, 'progress');
        } else {
          summary.reload_progress_stage = 'analysis ended before the reload finished';
        }
      }
      if (await page.$('#results:not([hidden]) #rep-count')) break;
      await page.waitForTimeout(500);
    }
    assert.ok(reloaded, 'the page was reloaded mid-analysis');
    await page.waitForSelector('#results:not([hidden]) #rep-count', { timeout: 5_000 });
    summary.analysis_s = (Date.now() - started) / 1000;
    summary.stages = [...stages];
    log('results after', summary.analysis_s, 's; stages', summary.stages.join(' > '));

    const id = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('video');
    assert.ok(id, 'the page URL names the video');
    summary.id = id;
    const guru = await api(`/videos/${encodeURIComponent(id)}?include=analysis`);
    assert.equal(String(guru.analysis?.status).toLowerCase(), 'complete', `analysis status: ${JSON.stringify(guru.analysis)}`);
    const apiReps = guru.analysis.reps.length;
    const shownReps = Number((await page.textContent('#rep-count')).trim());
    summary.api_rep_count = apiReps;
    summary.shown_rep_count = shownReps;
    assert.equal(shownReps, apiReps, 'displayed rep count equals the API');

    const bands = await page.$$eval('[data-testid="primary-chart"] .rep-band', (nodes) => nodes.length);
    summary.chart_bands = bands;
    assert.equal(bands, apiReps, 'one shaded band per rep on the chart');
    const markers = await page.$$eval('#rep-timeline .rep-marker', (nodes) => nodes.length);
    summary.timeline_markers = markers;
    assert.equal(markers, apiReps, 'one timeline marker per rep');

    // ---- rep table and Form card wording.
    const headers = await page.$$eval('#rep-table thead th', (nodes) => nodes.map((n) => n.textContent.trim()));
    summary.rep_table_headers = headers;
    for (const h of ['Rep', 'Down (s)', 'Up (s)', 'Form']) assert.ok(headers.includes(h), `rep table has "${h}": ${headers}`);
    const formCells = await page.$$eval('#rep-table tbody td[data-form]', (nodes) => nodes.map((n) => n.textContent.trim()));
    assert.equal(formCells.length, apiReps, 'one form flag per rep');
    assert.ok(formCells.every((t) => /^(✓ Good|✗ Fault)/.test(t)), `form flags in words: ${formCells}`);
    const faults = await page.$$eval('#faults li', (nodes) => nodes.map((n) => n.textContent.trim()));
    summary.form_checks = faults;
    assert.ok(faults.length > 0 && faults.every((t) => /(Passed|Needs work): \d+ of \d+ (reps?|checks?) passed/.test(t)), `Form card says passed/failed: ${faults}`);
    // ---- downloads: a per-rep CSV with one row per rep, under a name that says what it is.
    const repsCsvLink = await page.$eval('#downloads a[download$="-reps.csv"]', (a) => ({ name: a.download }));
    summary.reps_csv = repsCsvLink.name;
    const [repsDownload] = await Promise.all([page.waitForEvent('download'), page.click('#downloads a[download$="-reps.csv"]')]);
    const repsCsvText = readFileSync(await repsDownload.path(), 'utf8');
    assert.equal(repsCsvText.trim().split('\n').length, apiReps + 1, `one CSV row per rep: ${repsCsvText}`);
    assert.ok(/^[a-z_]+_[\w-]+_\d{4}-\d{2}-\d{2}-reps\.csv$/.test(repsCsvLink.name), `descriptive name: ${repsCsvLink.name}`);

    // ---- coaching: the page asks the coach, and the feedback names the measured count.
    await page.waitForSelector('#coaching[data-state="ready"] p', { timeout: 120_000 });
    const coaching = (await page.textContent('#coaching')).trim();
    summary.coaching = coaching.slice(0, 200);
    assert.ok(
      new RegExp(`\\b${apiReps} reps?\\b`).test(coaching),
      `the coaching names the ${apiReps} measured reps: ${coaching.slice(0, 300)}`,
    );
    await page.screenshot({ path: join(artifacts, 'browser-results.png'), fullPage: true });

    // The annotated video is rendered after the analysis: wait for the page to swap it in.
    log('waiting for the annotated video');
    await page.waitForFunction(
      () => {
        const v = document.getElementById('result-video');
        return v && v.currentSrc && !document.getElementById('video-status').textContent && v.readyState >= 1;
      },
      null,
      { timeout: Math.max(60_000, deadline - Date.now()), polling: 1000 },
    );
    summary.video_src = await page.$eval('#result-video', (v) => v.currentSrc);
    const overlayUri = guru.overlays?.all?.uri;
    const fresh = await api(`/videos/${encodeURIComponent(id)}`);
    summary.overlay_status = fresh.overlays?.all?.status;
    assert.equal(summary.overlay_status, 'Complete', 'the annotated video was rendered');
    assert.ok(!overlayUri || summary.video_src.includes(new URL(overlayUri, base).pathname), 'the player shows the annotated video');

    const playback = await page.evaluate(async () => {
      const v = document.getElementById('result-video');
      v.muted = true;
      const before = v.currentTime;
      await v.play();
      await new Promise((r) => setTimeout(r, 2000));
      return { before, after: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight, error: v.error?.message ?? null };
    });
    summary.playback = playback;
    assert.equal(playback.error, null, 'no media error');
    assert.ok(playback.after > playback.before + 0.5, `currentTime advances (${playback.before} -> ${playback.after})`);
    await page.evaluate(() => document.getElementById('result-video').pause());
    await page.screenshot({ path: join(artifacts, 'browser-playing.png'), fullPage: false });
    const player = await page.$('.player');
    await player.screenshot({ path: join(artifacts, 'browser-annotated-video.png') });

    // ---- "Play rep 2" at half speed from the table, the player brought into view.
    if (apiReps >= 2) {
      await page.selectOption('#play-speed', '0.5');
      await page.$eval('#rep-table', (t) => t.scrollIntoView({ block: 'end' }));
      const rep2 = guru.analysis.reps[1];
      await page.click('#rep-table button[data-rep="2"]');
      await page.waitForTimeout(1500);
      const state = await page.evaluate(() => {
        const v = document.getElementById('result-video');
        const r = v.getBoundingClientRect();
        return { paused: v.paused, t: v.currentTime, rate: v.playbackRate, top: r.top, bottom: r.bottom, vh: window.innerHeight };
      });
      summary.play_rep_2 = state;
      assert.equal(state.paused, false, 'Play rep 2 plays');
      assert.equal(state.rate, 0.5, 'at the chosen speed');
      assert.ok(state.t > rep2.startTimestampMs / 1000 && state.t < rep2.endTimestampMs / 1000 + 0.2, `within rep 2 (${state.t})`);
      assert.ok(state.bottom > 0 && state.top < state.vh, 'the player is in view');
      // Switching overlay keeps it playing.
      await page.check('input[name="overlay"][value="original"]');
      await page.waitForTimeout(1200);
      const switched = await page.evaluate(() => ({ paused: document.getElementById('result-video').paused, src: document.getElementById('result-video').currentSrc }));
      summary.overlay_switch_keeps_playing = !switched.paused;
      assert.equal(switched.paused, false, 'switching overlay keeps the video playing');
      // A click anywhere on a rep's row plays that rep as well.
      const last = guru.analysis.reps[apiReps - 1];
      await page.click(`#rep-table tr[data-rep="${apiReps}"] td:last-child`);
      await page.waitForTimeout(800);
      const rowPlay = await page.$eval('#result-video', (v) => ({ paused: v.paused, t: v.currentTime }));
      summary.row_click_plays = rowPlay;
      assert.ok(!rowPlay.paused && rowPlay.t >= last.startTimestampMs / 1000 - 0.05, `a row click plays rep ${apiReps} (${rowPlay.t})`);
      await page.check('input[name="overlay"][value="all"]');
      await page.waitForFunction(() => /annotated_all/.test(document.getElementById('result-video').currentSrc) && document.getElementById('result-video').readyState >= 1);
      await page.waitForTimeout(300);
      await page.evaluate(() => document.getElementById('result-video').pause());
      await page.selectOption('#play-speed', '1');
    }

    // ---- chart seeking by keyboard.
    await page.evaluate(() => {
      const v = document.getElementById('result-video');
      v.pause();
      v.currentTime = 0;
    });
    await page.waitForTimeout(500);
    await page.focus('[data-testid="primary-chart"] svg');
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(200);
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(400);
    const keyed = await page.$eval('#result-video', (v) => v.currentTime);
    summary.keyboard_seek_s = keyed;
    assert.ok(Math.abs(keyed - 2) < 0.15, `two ArrowRight presses seek to 2 s (${keyed})`);
    await page.keyboard.press('PageDown');
    await page.waitForTimeout(400);
    const nextRep = guru.analysis.reps.find((r) => r.startTimestampMs > 2050);
    if (nextRep) {
      const t = await page.$eval('#result-video', (v) => v.currentTime);
      assert.ok(Math.abs(t - nextRep.startTimestampMs / 1000) < 0.15, `Page Down jumps to the next rep (${t})`);
    }

    // ---- touch targets.
    const targets = await page.evaluate(() =>
      [...document.querySelectorAll('#rep-table .rep-play, .overlay-picker label, .session-item')].map((n) => {
        const r = n.getBoundingClientRect();
        return { what: n.className || n.tagName, w: r.width, h: r.height };
      }),
    );
    const small = targets.filter((t) => t.h < 44 || t.w < 44);
    assert.deepEqual(small, [], 'touch targets are at least 44 px');

    // ---- the rep table fits a 1366 px laptop screen.
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForTimeout(400);
    const fit = await page.$eval('#rep-table', (t) => ({ table: t.scrollWidth, wrap: t.parentElement.clientWidth }));
    summary.rep_table_1366 = fit;
    assert.ok(fit.table <= fit.wrap + 1, `the rep table fits 1366 px (${fit.table} > ${fit.wrap})`);
    await page.$eval('#results', (n) => n.scrollIntoView({ block: 'start' }));
    await reviewShot(page, 'results');
    await page.$eval('#rep-table', (n) => n.scrollIntoView({ block: 'center' }));
    await reviewShot(page, 'reps-and-form');
    summary.axe.push(await axe(page, 'results'));
    await page.setViewportSize({ width: 1280, height: 900 });

    // ---- history: Back and Forward stay in the app.
    const inApp = page.url();
    await page.goBack();
    await page.waitForTimeout(500);
    summary.back_url = page.url();
    assert.ok(page.url().startsWith(base), 'Back stays in the app');
    assert.ok(!page.url().includes('#video='), 'Back returns to the view before the upload');
    assert.ok(!(await visible(page, '#results')), 'Back leaves the result');
    await page.goForward();
    await page.waitForSelector('#results:not([hidden]) #rep-count', { timeout: 15_000 });
    assert.equal(page.url(), inApp, 'Forward returns to the result');

    // ---- a hostile history entry: truncated and escaped, the page does not widen.
    const hostile = `<img src=x onerror="window.__xss=1">${'n'.repeat(100_000)}.mp4`;
    await page.evaluate((name) => {
      const entries = JSON.parse(localStorage.getItem('fitvision.history') || '[]');
      entries.unshift({ id: 'hostile-entry', filename: name, activity: 'push_up', state: 'failed', reason: 'UNREADABLE_VIDEO', createdAt: new Date().toISOString() });
      localStorage.setItem('fitvision.history', JSON.stringify(entries));
    }, hostile);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.session-item[data-video-id="hostile-entry"]', { timeout: 15_000 });
    const entry = await page.$eval('.session-item[data-video-id="hostile-entry"]', (n) => ({
      name: n.querySelector('.session-name').textContent,
      state: n.dataset.state,
      reason: n.querySelector('.session-reason')?.textContent ?? '',
      imgs: document.querySelectorAll('#session-list img').length,
      xss: Boolean(window.__xss),
    }));
    summary.hostile_entry = { name_length: entry.name.length, state: entry.state, reason: entry.reason, imgs: entry.imgs };
    assert.ok(entry.name.length <= 80, `the name is truncated (${entry.name.length})`);
    assert.equal(entry.imgs, 0, 'the name is text, not markup');
    assert.equal(entry.xss, false);
    assert.equal(entry.state, 'failed');
    assert.match(entry.reason, /not a video we can read/, 'a failed entry shows its reason');
    const own = await page.$eval(`.session-item[data-video-id="${id}"]`, (n) => ({ state: n.dataset.state, meta: n.querySelector('.session-meta').textContent }));
    summary.own_entry = own;
    assert.equal(own.state, 'complete');
    assert.match(own.meta, new RegExp(`Complete · ${apiReps} reps`));
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 1, `a long name does not widen the page (${wide}px)`);
    // Clicking an entry opens it and scrolls to the result.
    await page.$eval('#session-list', (n) => n.scrollIntoView({ block: 'end' }));
    await page.click(`.session-item[data-video-id="${id}"]`);
    await page.waitForSelector('#results:not([hidden]) #rep-count', { timeout: 15_000 });
    await page.waitForTimeout(300);
    const resultsTop = await page.$eval('#results', (n) => n.getBoundingClientRect().top);
    assert.ok(Math.abs(resultsTop) < 50, `clicking an entry scrolls to the result (top ${resultsTop})`);

    // ---- a second session of the same exercise, compared with the first.
    await page.setInputFiles('#file-input', video);
    await page.selectOption('#activity', activity);
    await page.click('#upload-button');
    await page.waitForFunction(
      (first) => {
        const m = /video=([^&]+)/.exec(location.hash);
        return m && decodeURIComponent(m[1]) !== first && document.querySelector('#results:not([hidden]) #rep-count');
      },
      id,
      { timeout: timeoutMs, polling: 500 },
    );
    await page.waitForSelector(`#compare-with option[value="${id}"]`, { state: 'attached', timeout: 30_000 });
    await page.selectOption('#compare-with', id);
    await page.waitForSelector('#compare-table tbody tr', { timeout: 30_000 });
    const comparison = await page.$$eval('#compare-table tbody tr', (rows) =>
      rows.map((r) => [...r.children].map((c) => c.textContent.trim())),
    );
    summary.comparison = comparison.slice(0, 6);
    const repsRow = comparison.find((r) => r[0] === 'Reps');
    assert.deepEqual(repsRow?.slice(1), [String(apiReps), String(apiReps), '±0'], `both sessions' reps side by side: ${JSON.stringify(repsRow)}`);
    assert.ok(comparison.some((r) => /^Mean time down/.test(r[0])), 'tempo is compared');
    const curves = await page.$$eval('[data-testid="compare-chart"] path.series', (n) => n.length);
    summary.compare_chart_lines = curves;
    assert.equal(curves, 2, 'both sets drawn on one chart');
    await page.$eval('#compare', (n) => n.scrollIntoView({ block: 'start' }));
    await reviewShot(page, 'compare');

    // ---- progress over time: both sessions of this exercise, oldest first, this one marked.
    const id2 = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('video');
    const guru2 = await api(`/videos/${encodeURIComponent(id2)}?include=analysis`);
    const reps2 = guru2.analysis.reps.length;
    summary.second_id = id2;
    await page.waitForFunction(
      (ids) => {
        const rows = [...document.querySelectorAll('#progress-table tbody tr')].map((r) => r.dataset.videoId);
        return ids.every((x) => rows.includes(x));
      },
      [id, id2],
      { timeout: 30_000 },
    );
    const progressRows = await page.$$eval('#progress-table tbody tr', (rows) =>
      rows.map((r) => ({ id: r.dataset.videoId, current: r.getAttribute('aria-current') === 'true', cells: [...r.children].map((c) => c.textContent.trim()) })),
    );
    summary.progress_rows = progressRows.map((r) => r.cells);
    assert.deepEqual(progressRows.map((r) => r.id), [id, id2], 'both sessions, oldest first');
    assert.deepEqual(progressRows.map((r) => r.current), [false, true], 'this session is marked');
    assert.deepEqual(progressRows.map((r) => r.cells[1]), [String(apiReps), String(reps2)], 'reps per session');
    assert.ok(progressRows.every((r) => /%/.test(r.cells[2]) && /s down/.test(r.cells[3])), `form and tempo per session: ${JSON.stringify(progressRows)}`);
    const progressCharts = await page.$$eval('#progress-over-time svg.progress-svg', (svgs) =>
      svgs.map((svg) => ({ points: svg.querySelectorAll('circle.point').length, current: svg.querySelectorAll('circle.point.current').length, path: Boolean(svg.querySelector('path.series')?.getAttribute('d')) })),
    );
    summary.progress_charts = progressCharts;
    assert.ok(progressCharts.length >= 1, 'a chart of reps per session');
    assert.ok(progressCharts.every((c) => c.points === 2 && c.current === 1 && c.path), `one point per session, this one marked: ${JSON.stringify(progressCharts)}`);
    // The older session opens from the keyboard.
    await page.focus(`#progress-table button.progress-open[data-video-id="${id}"]`);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.videoId), id, 'the older session is reachable by keyboard');
    await page.$eval('#progress-over-time', (n) => n.scrollIntoView({ block: 'start' }));
    await reviewShot(page, 'progress-over-time');

    // ---- share link: created with its lifetime, opened without a key in a fresh browser, revoked.
    await page.waitForSelector('#share:not([hidden])');
    // This session's coaching is written before it is shared (the shared view shows it, never asks for it).
    await page.waitForSelector('#coaching[data-state="ready"] p', { timeout: 120_000 });
    await page.selectOption('#share-ttl', String(7 * 86400));
    await page.click('#share-create');
    await page.waitForSelector('#share-created:not([hidden])', { timeout: 15_000 });
    const shareLink = await page.inputValue('#share-url');
    summary.share_link = shareLink.replace(/#share=.*/, '#share=…');
    assert.ok(shareLink.startsWith(`${base}/#share=`), `the link is this page with #share=: ${shareLink}`);
    assert.match(await page.textContent('#share-expiry'), /Valid until/);
    await page.click('#share-copy');
    await page.waitForFunction(() => document.getElementById('share-copied').textContent.trim() !== '', null, { timeout: 5_000 });
    summary.share_copy = (await page.textContent('#share-copied')).trim();
    await page.waitForSelector('#share-table tbody tr[data-status="active"] button.share-revoke', { timeout: 15_000 });
    const shares = (await api(`/v1/sessions/${encodeURIComponent(id2)}/shares`)).shares ?? [];
    assert.equal(shares.length, 1, 'one share of the session');
    const share = shares[0];
    const lifetimeDays = (Date.parse(share.expiresAt ?? share.expires_at) - Date.now()) / 86400_000;
    summary.share_lifetime_days = Math.round(lifetimeDays * 100) / 100;
    assert.ok(Math.abs(lifetimeDays - 7) < 0.1, `the chosen lifetime (7 days): ${lifetimeDays}`);
    await page.$eval('#share', (n) => n.scrollIntoView({ block: 'start' }));
    await reviewShot(page, 'share-create');

    const freshBrowser = await launchBrowser({ executablePath, extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
    const inFreshContext = async (fn) => {
      const context = await freshBrowser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const p = await context.newPage();
        p.on('pageerror', (e) => consoleErrors.push(`fresh: ${e}`));
        return await fn(p);
      } finally {
        await context.close();
      }
    };
    try {
      const sharedView = await inFreshContext(async (p) => {
        const sharedRequests = [];
        p.on('request', (r) => r.url().includes('/v1/shared/') && sharedRequests.push(r.headers().authorization ?? null));
        await p.goto(shareLink, { waitUntil: 'domcontentloaded' });
        await p.waitForSelector('#results:not([hidden]) #rep-count', { timeout: 30_000 });
        await p.waitForSelector('#coaching[data-state="ready"] p', { timeout: 15_000 });
        const view = {
          reps: Number((await p.textContent('#rep-count')).trim()),
          banner: (await p.textContent('#share-banner')).trim(),
          bands: await p.$$eval('[data-testid="primary-chart"] .rep-band', (n) => n.length),
          rows: await p.$$eval('#rep-table tbody tr', (n) => n.length),
          coaching: (await p.textContent('#coaching')).trim(),
          player: await visible(p, '#result-video'),
          print_button: await visible(p, '#print-summary'),
          storage: await p.evaluate(() => Object.keys(localStorage)),
          authorization_sent: sharedRequests,
          hidden: {},
        };
        for (const sel of ['#signin', '#api-key', '#intro', '#upload', '#live', '#sessions', '#share', '#compare', '#progress-over-time', '#account']) {
          view.hidden[sel] = !(await visible(p, sel));
        }
        await p.waitForFunction(() => document.getElementById('result-video').readyState >= 1, null, { timeout: 30_000 });
        await p.evaluate(() => window.scrollTo(0, 0));
        await reviewShot(p, 'share-view');
        view.axe = await axe(p, 'shared result');
        await p.setViewportSize({ width: 390, height: 844 });
        await p.waitForTimeout(300);
        view.mobile_overflow_px = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        return view;
      });
      summary.shared_view = { ...sharedView, coaching: sharedView.coaching.slice(0, 120) };
      summary.axe.push(sharedView.axe);
      assert.equal(sharedView.reps, reps2, 'the shared result shows the API rep count');
      assert.equal(sharedView.bands, reps2, 'with the rep bands on the chart');
      assert.equal(sharedView.rows, reps2, 'and the rep table');
      assert.match(sharedView.banner, /^Shared result — link valid until /);
      assert.ok(new RegExp(`\\b${reps2} reps?\\b`).test(sharedView.coaching), `the coaching written for the session: ${sharedView.coaching.slice(0, 200)}`);
      assert.ok(sharedView.player, 'the video player is shown');
      assert.ok(sharedView.print_button, 'the summary can be printed from the shared view');
      assert.deepEqual(Object.entries(sharedView.hidden).filter(([, hidden]) => !hidden), [], 'no key box, upload, history, share, compare or progress');
      assert.ok(sharedView.authorization_sent.length > 0 && sharedView.authorization_sent.every((a) => a === null), 'the shared result is read without a credential');
      assert.deepEqual(sharedView.storage, [], 'nothing is stored in the athlete\'s browser');
      assert.ok(sharedView.mobile_overflow_px <= 1, `no horizontal scrolling on a phone (${sharedView.mobile_overflow_px}px)`);

      // Revoked through the page: the link stops working.
      await page.click(`#share-table button.share-revoke[data-share-id="${share.shareId ?? share.share_id}"]`);
      await page.waitForSelector(`#share-table tr[data-share-id="${share.shareId ?? share.share_id}"][data-status="revoked"]`, { timeout: 15_000 });
      assert.ok(!(await visible(page, '#share-created')), 'the revoked link is no longer offered');
      const openLink = (link) =>
        inFreshContext(async (p) => {
          await p.goto(link, { waitUntil: 'domcontentloaded' });
          await p.waitForSelector('#shared-error:not([hidden])', { timeout: 15_000 });
          return { text: (await p.textContent('#shared-error-text')).trim(), results: await visible(p, '#results'), key: await visible(p, '#api-key') };
        });
      const revoked = await openLink(shareLink);
      summary.revoked_link = revoked;
      assert.match(revoked.text, /^This share link was revoked.* Ask your coach for a new one\.$/, `the revoked message: ${revoked.text}`);
      assert.ok(!revoked.results && !revoked.key, 'no result and no key box');
      const unknown = await openLink(`${base}/#share=fvshare_doesnotexist`);
      assert.equal(unknown.text, 'This share link does not exist.');
    } finally {
      await freshBrowser.close();
    }

    // ---- printable one-page summary.
    await page.evaluate(() => {
      window.__printed = 0;
      window.print = () => {
        window.__printed += 1;
      };
    });
    await page.click('#print-summary');
    assert.equal(await page.evaluate(() => window.__printed), 1, 'Print summary prints');
    await page.emulateMedia({ media: 'print' });
    await page.waitForTimeout(400);
    const printHidden = {};
    for (const sel of ['#upload', '#live', '#sessions', '#result-video', '#player', '#share', '#compare', '#progress-over-time', '#downloads-card', '#print-summary', '.site-header nav', '#account']) {
      printHidden[sel] = !(await visible(page, sel));
    }
    const printShown = {};
    for (const sel of ['#rep-count', '#rep-table', '[data-testid="primary-chart"] svg', '#faults', '#coaching p']) {
      printShown[sel] = await visible(page, sel);
    }
    summary.print = { hidden: printHidden, shown: printShown };
    assert.deepEqual(Object.entries(printHidden).filter(([, hidden]) => !hidden), [], 'print hides the video, upload, history and controls');
    assert.deepEqual(Object.entries(printShown).filter(([, shown]) => !shown), [], 'print shows the rep count, rep table, chart, form and coaching');
    assert.equal(await page.$$eval('#rep-table tbody tr', (n) => n.length), reps2, 'every rep in the printed table');
    summary.print.pdf_pages = {};
    for (const format of ['A4', 'Letter']) {
      const pdf = await page.pdf({ format });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
      summary.print.pdf_pages[format] = pages;
      assert.equal(pages, 1, `the summary is one ${format} page (${pages})`);
    }
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    await reviewShot(page, 'print-summary');
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize({ width: 1280, height: 900 });

    // ---- phone-sized screen: one column, no horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'browser-mobile.png'), fullPage: true });
    await page.$eval('#results', (n) => n.scrollIntoView({ block: 'start' }));
    await reviewShot(page, 'mobile');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    summary.mobile_horizontal_overflow_px = overflow;
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow}px)`);
    await page.setViewportSize({ width: 1280, height: 900 });

    // ---- a non-video upload: plain message, error state, old result cleared, no session.
    const sessionsBefore = (await api('/v1/sessions?newest_first=true&limit=50')).sessions?.length ?? 0;
    await page.setInputFiles('#file-input', { name: 'holiday-notes.mp4', mimeType: 'video/mp4', buffer: Buffer.from('these are notes, not a video\n'.repeat(40)) });
    await page.selectOption('#activity', activity);
    await page.click('#upload-button');
    await page.waitForSelector('#upload-error:not([hidden])', { timeout: 30_000 });
    const shown = (await page.textContent('#upload-error')).trim();
    summary.non_video_message = shown;
    assert.equal(shown, NOT_A_VIDEO, 'a plain message for a file that is not a video');
    assert.equal(await page.$eval('#progress', (n) => n.dataset.state), 'failed', 'the progress is in its error state');
    assert.ok(!(await visible(page, '#results')), 'the previous result is cleared');
    assert.ok(!page.url().includes('#video='), 'the address names no video');
    await page.waitForTimeout(1500);
    const listed = await page.$$eval('.session-item', (nodes) => nodes.map((n) => n.textContent));
    assert.ok(!listed.some((t) => t.includes('holiday-notes')), 'the failed upload is not listed as a session');
    const server = (await api('/v1/sessions?newest_first=true&limit=50')).sessions ?? [];
    assert.ok(!server.some((s) => (s.title ?? '').includes('holiday-notes')), 'nor kept on the server');
    summary.sessions_before_after = [sessionsBefore, server.length];
    await reviewShot(page, 'upload-error');
    summary.axe.push(await axe(page, 'upload error'));

    // ---- every option of the menu analyses a real clip to a result: a short clip of the
    // exercise (any clip with one person where none matches) for each, uploaded together;
    // each ends complete, or failed with its reason in words on the page.
    if (menuClips) {
      const started = Date.now();
      const jobs = offered.map((o) => ({ activity: o.id, domain: o.domain, clip: clipFor(o.id) }));
      const made = new Map();
      for (const job of jobs) {
        if (!made.has(job.clip)) made.set(job.clip, await shortClip(job.clip));
        job.path = made.get(job.clip);
      }
      const waiting = [...jobs];
      const running = new Set();
      const results = [];
      const menuDeadline = Date.now() + menuTimeoutMs;
      while ((waiting.length || running.size) && Date.now() < menuDeadline) {
        // A few at a time: the tenant's limit on analyses in flight answers 429 beyond it.
        while (waiting.length && running.size < 6) {
          const job = waiting[0];
          const id = await uploadClip(job.path, job.activity, job.domain);
          if (!id) break;
          waiting.shift();
          running.add({ ...job, id });
        }
        await new Promise((r) => setTimeout(r, 1500));
        for (const job of [...running]) {
          const g = await api(`/videos/${encodeURIComponent(job.id)}?include=analysis`);
          const state = String(g.analysis?.status ?? '').toLowerCase();
          if (state === 'complete' || state === 'failed' || String(g.status).toLowerCase() === 'failed') {
            running.delete(job);
            results.push({ activity: job.activity, clip: job.clip, id: job.id, state: state || 'failed', reps: g.analysis?.reps?.length ?? 0, reason: g.reason ?? g.analysis?.reason ?? '' });
          }
        }
      }
      const unfinished = [...waiting.map((j) => j.activity), ...[...running].map((j) => j.activity)];
      assert.deepEqual(unfinished, [], `every option reaches a result within ${menuTimeoutMs / 1000} s`);
      // A failed one says why, in words, where the page shows it.
      for (const r of results.filter((x) => x.state !== 'complete')) {
        await page.goto(`${base}/#video=${encodeURIComponent(r.id)}`, { waitUntil: 'domcontentloaded' });
        await page.reload({ waitUntil: 'domcontentloaded' });
        await page.waitForSelector('#results-warning:not([hidden])', { timeout: 30_000 });
        r.shown = (await page.textContent('#results-warning')).trim();
        assert.match(r.shown, /^Analysis failed: [A-Z][a-z]/, `${r.activity}: the reason in words: ${r.shown}`);
        assert.ok(!/[A-Z]{3,}_[A-Z]{3,}/.test(r.shown), `${r.activity}: no raw reason code: ${r.shown}`);
      }
      summary.menu_clips = { seconds: (Date.now() - started) / 1000, results: results.map(({ activity, clip, state, reps, shown }) => ({ activity, clip, state, reps, shown })) };
      assert.equal(results.length, offered.length, 'one result per option');
      log('menu clips:', results.map((r) => `${r.activity}=${r.state}`).join(' '), `in ${summary.menu_clips.seconds} s`);
      rmSync(clipDir, { recursive: true, force: true });
    } else {
      summary.menu_clips = 'skipped (FITVISION_BROWSER_MENU_CLIPS=0 or no ffmpeg)';
    }

    // ---- sign out: the stored history goes.
    await page.click('#sign-out');
    await page.waitForSelector('#signin:not([hidden])');
    const stored = await page.evaluate(() => localStorage.getItem('fitvision.history'));
    assert.equal(stored, null, 'sign-out clears the stored history');

    for (const run of summary.axe) {
      assert.deepEqual(run.serious, [], `axe (${run.label}): no serious or critical violations`);
    }
    summary.console_errors = consoleErrors;
  },
);
log('PASSED');
