// Refreshes docs/lineage.png (the README's picture): copies the demo project to a temporary
// folder, builds it (so statuses and column types are real), generates the docs and takes a
// screenshot of the lineage view in headless Chromium.
// Usage: npm run build && node bench/docs/screenshot.mjs [--color status]
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { arg, ROOT, smelt } from '../lib/util.mjs';
import { CHROME_ARGS, CHROMIUM } from './browser.mjs';

const dir = mkdtempSync(join(tmpdir(), 'smelt-docs-shot-'));
try {
  for (const entry of ['project.yml', 'models', 'seeds', 'macros', 'snapshots', 'tests', 'cdc']) {
    if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  try {
    smelt(dir, ['build', '-q']);
  } catch (error) {
    console.warn(`smelt build failed; the screenshot shows the last statuses it has:\n${error.message.split('\n').slice(0, 5).join('\n')}`);
  }
  smelt(dir, ['docs', 'generate', '-q']);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 760 }, deviceScaleFactor: 1 });
    const color = arg('color', 'layer');
    await page.goto(`${pathToFileURL(join(dir, 'target/docs/index.html')).href}#/lineage${color === 'layer' ? '' : `?color=${color}`}`);
    await page.waitForSelector('body[data-ready="lineage"]');
    const out = join(ROOT, 'docs', 'lineage.png');
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`wrote ${relative(ROOT, out)}`);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
