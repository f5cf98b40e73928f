// What both browser tests share: Debian chromium launched headless with the
// flags this machine needs (no background networking: the network is closed),
// a throw-away profile, a failure screenshot, the JSON summary and the exit code.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const BASE_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * A second chromium for fresh browser contexts (no storage shared with the
 * test's own profile: what someone opening a link elsewhere gets). Close it.
 */
export function launchBrowser({ executablePath, extraArgs = [] }) {
  return chromium.launch({ executablePath, headless: true, args: [...BASE_ARGS, ...extraArgs] });
}

/**
 * Runs `body(page, summary)` in a fresh chromium; prints the summary, screenshots
 * `<name>-failure.png` into `artifacts` on failure and exits 1 then.
 */
export async function runInBrowser({ name, executablePath, artifacts, extraArgs = [] }, body) {
  mkdirSync(artifacts, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), `fitvision-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...BASE_ARGS, ...extraArgs],
    viewport: { width: 1280, height: 900 },
  });
  const summary = {};
  let failed = null;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await body(page, summary);
  } catch (e) {
    failed = e;
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: join(artifacts, `${name}-failure.png`), fullPage: true }).catch(() => {});
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(summary, null, 2));
  if (failed) {
    // Node's fetch says only "fetch failed"; the reason (a reset, a refused or closed
    // connection) is in its cause, and the stack says which request it was.
    console.error('FAILED:', failed.message);
    if (failed.cause) console.error('  cause:', failed.cause.code ?? '', failed.cause.message ?? failed.cause);
    console.error(failed.stack);
    process.exit(1);
  }
}
