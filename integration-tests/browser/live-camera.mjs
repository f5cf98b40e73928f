// Browser test of Live mode (issue 19), against a running suite.
//
// Debian chromium with a fake camera that plays a real clip (converted to
// Y4M by run.sh: 640 px, 15 fps): sign in, start Live mode, and watch the
// count on the page reach the clip's counted truth; then stop, and the set is
// saved (the summary names the stored video, which the API reads back
// complete with at least that many reps: the fake camera loops the clip).
//
// Env: FITVISION_EDGE_URL, FITVISION_API_KEY (required), FITVISION_LIVE_Y4M
//      (required: the camera's file), FITVISION_LIVE_ACTIVITY (default squat),
//      FITVISION_LIVE_REPS (default 3), FITVISION_LIVE_CLIP_S (clip length,
//      default 12), CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runInBrowser } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const base = (process.env.FITVISION_EDGE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const apiKey = process.env.FITVISION_API_KEY ?? '';
const camera = process.env.FITVISION_LIVE_Y4M ?? '';
const activity = process.env.FITVISION_LIVE_ACTIVITY ?? 'squat';
const truth = Number(process.env.FITVISION_LIVE_REPS ?? 3);
const clipS = Number(process.env.FITVISION_LIVE_CLIP_S ?? 12);
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = resolve(repo, 'integration-tests/artifacts');
const log = (...args) => console.log(`[live-camera ${new Date().toISOString().slice(11, 19)}]`, ...args);

if (!apiKey || !existsSync(camera)) {
  console.error('FITVISION_API_KEY and an existing FITVISION_LIVE_Y4M are required');
  process.exit(2);
}

await runInBrowser(
  {
    name: 'browser-live',
    executablePath,
    artifacts,
    extraArgs: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ],
  },
  async (page, summary) => {
    Object.assign(summary, { camera, activity, truth });
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    await page.fill('#api-key', apiKey);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])', { timeout: 30_000 });
    await page.selectOption('#live-activity', activity);
    await page.check('#live-record');
    const started = Date.now();
    await page.click('#live-start');
    await page.waitForSelector('#live-stop:not([disabled])', { timeout: 30_000 });
    log('counting live');
    // The camera plays the clip from its start; allow its length twice over.
    await page.waitForFunction(
      (reps) => Number(document.getElementById('live-count').textContent) >= reps,
      truth,
      { timeout: Math.max(30_000, clipS * 2000), polling: 200 },
    );
    summary.seconds_to_truth = (Date.now() - started) / 1000;
    summary.status_line = await page.textContent('#live-status');
    await page.screenshot({ path: join(artifacts, 'browser-live.png'), fullPage: false });
    const drawn = await page.$eval('#live-overlay', (c) => c.width > 0 && c.height > 0);
    assert.ok(drawn, 'the skeleton overlay was drawn');
    await page.click('#live-stop');
    await page.waitForFunction(() => /Saved:/.test(document.getElementById('live-status').textContent), null, { timeout: 60_000 });
    summary.saved = await page.textContent('#live-status');
    summary.count_shown = Number(await page.textContent('#live-count'));
    assert.ok(summary.count_shown >= truth, `the final count ${summary.count_shown} reached the truth ${truth}`);
    const error = await page.$eval('#live-error', (n) => (n.hidden ? '' : n.textContent));
    assert.equal(error, '', 'no live error shown');
  },
);
log('PASSED');
