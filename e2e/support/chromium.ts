import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Real headless Chromium for browser tests: Debian's `chromium` package, driven by
 * playwright-core (which never downloads a browser of its own). Missing locally: the tests are
 * skipped with a notice. Missing under CI=true: a failure, since .ci/run installs it.
 */
export const CHROMIUM_PATH = process.env.SMELT_CHROMIUM ?? '/usr/bin/chromium';

export function hasChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`CI requires Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  console.warn(`\n*** Chromium is not installed at ${CHROMIUM_PATH}: browser tests are SKIPPED (apt-get install -y chromium) ***\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
