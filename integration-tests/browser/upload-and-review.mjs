// Browser test of the fitvision page, against a running suite (`fitvision serve`).
//
// Debian chromium driven by playwright-core: sign in with an API key, upload a
// real clip, wait for the analysis, then check that
//   - the rep count shown (#rep-count) equals the API's (GET /videos/{id}?include=analysis),
//   - the annotated video element plays (its currentTime advances),
//   - the primary chart has one shaded band (.rep-band) per rep.
// Screenshots go to integration-tests/artifacts/.
//
// Env: FITVISION_EDGE_URL (default http://127.0.0.1:8080), FITVISION_API_KEY (required),
//      FITVISION_TEST_VIDEO (default ../shared/videos/squat_side_3reps.mp4 next to the repo),
//      FITVISION_TEST_ACTIVITY (default squat), CHROMIUM (default /usr/bin/chromium),
//      FITVISION_BROWSER_TIMEOUT_S (default 600).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runInBrowser } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const base = (process.env.FITVISION_EDGE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const apiKey = process.env.FITVISION_API_KEY ?? '';
const video = process.env.FITVISION_TEST_VIDEO ?? resolve(repo, '../shared/videos/squat_side_3reps.mp4');
const activity = process.env.FITVISION_TEST_ACTIVITY ?? 'squat';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const timeoutMs = Number(process.env.FITVISION_BROWSER_TIMEOUT_S ?? 600) * 1000;
const artifacts = resolve(repo, 'integration-tests/artifacts');

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

async function api(path) {
  const response = await fetch(`${base}${path}`, { headers: { Authorization: `API-KEY ${apiKey}` } });
  assert.ok(response.ok, `GET ${path}: HTTP ${response.status}`);
  return response.json();
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

    log('open', base);
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    await page.fill('#api-key', apiKey);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])', { timeout: 30_000 });

    log('upload', video, 'as', activity);
    await page.setInputFiles('#file-input', video);
    await page.selectOption('#activity', activity);
    const started = Date.now();
    await page.click('#upload-button');

    // Progress must come from the server (SSE or polling): record the stages shown.
    const stages = new Set();
    const deadline = started + timeoutMs;
    while (Date.now() < deadline) {
      const stage = await page.textContent('#progress-stage').catch(() => null);
      if (stage) stages.add(stage.trim());
      const error = await page.$eval('#upload-error', (n) => (n.hidden ? '' : n.textContent)).catch(() => '');
      if (error) throw new Error(`page reported: ${error}`);
      if (await page.$('#results:not([hidden]) #rep-count')) break;
      await page.waitForTimeout(500);
    }
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

    // Phone-sized screen: the same results must lay out in one column.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'browser-mobile.png'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    summary.mobile_horizontal_overflow_px = overflow;
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow}px)`);

    summary.console_errors = consoleErrors;
  },
);
log('PASSED');
