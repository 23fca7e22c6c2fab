import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiteData } from './site-data.js';

/** The front end (index.html, app.js, app.css), next to this file in core/ and in dist/. */
const SITE_DIR = fileURLToPath(new URL('./site/', import.meta.url));
const require = createRequire(import.meta.url);

/** Third-party browser builds bundled into the site, so it works offline and from file://. */
const VENDOR: { from: () => string; to: string }[] = [
  { from: () => join(packageDir('@dagrejs/dagre'), 'dist/dagre.min.js'), to: 'dagre.min.js' },
  { from: () => join(packageDir('@dagrejs/dagre'), 'dist/dagre.min.js.LEGAL.txt'), to: 'dagre.LICENSE.txt' },
  { from: () => join(packageDir('@highlightjs/cdn-assets'), 'highlight.min.js'), to: 'highlight.min.js' },
  { from: () => join(packageDir('@highlightjs/cdn-assets'), 'styles/github.min.css'), to: 'highlight-github.min.css' },
  { from: () => join(packageDir('@highlightjs/cdn-assets'), 'LICENSE'), to: 'highlight.LICENSE.txt' },
];
const SITE_FILES = ['index.html', 'app.js', 'app.css'];

export interface WriteSiteResult {
  files: number;
  bytes: number;
}

/**
 * Writes the site into a fresh folder beside `outDir` and swaps it in, so a `docs serve`
 * running meanwhile never serves half a site, and no shard of an older, larger project lingers.
 * Files are written on libuv's threads while this one encodes the next.
 */
export async function writeSite(outDir: string, data: SiteData): Promise<WriteSiteResult> {
  const staging = `${outDir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'assets'), { recursive: true });
  mkdirSync(join(staging, 'data', 'details'), { recursive: true });
  let files = 0;
  let bytes = 0;
  const pending: Promise<void>[] = [];
  const write = (path: string, text: string): void => {
    pending.push(writeFile(join(staging, path), text));
    files++;
    bytes += Buffer.byteLength(text);
  };

  for (const file of SITE_FILES) {
    pending.push(copyFile(join(SITE_DIR, file), join(staging, file === 'index.html' ? file : `assets/${file}`)));
    files++;
  }
  for (const vendor of VENDOR) {
    pending.push(copyFile(vendor.from(), join(staging, 'assets', vendor.to)));
    files++;
  }
  // Data files are scripts, not JSON fetched at run time: file:// pages may not fetch().
  write('data/index.js', script('__smeltIndex', data.index));
  write('data/lineage.js', script('__smeltLineage', data.lineage));
  data.details.forEach((shard, i) => write(`data/details/${i}.js`, script('__smeltDetails', shard, i)));
  try {
    await Promise.all(pending);
  } catch (error) {
    await Promise.allSettled(pending);
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }

  const previous = `${outDir}.${process.pid}.old`;
  if (existsSync(outDir)) renameSync(outDir, previous);
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(staging, outDir);
  rmSync(previous, { recursive: true, force: true });
  return { files, bytes };
}

/**
 * `window.NAME(JSON.parse('...'))`: for megabytes of data a string literal parsed by JSON.parse
 * loads faster than an object literal, user text cannot break out of it, and a key such as
 * `__proto__` (a column may be called that) stays data, as it would not in an object literal.
 * JSON text has no raw line breaks (U+2028/9 are allowed in string literals), so quoting it takes
 * only `\` and `'` escaped: far cheaper than JSON.stringify on the JSON text, which escapes
 * every double quote.
 */
export function script(callback: string, value: unknown, shard?: number): string {
  const literal = JSON.stringify(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'");
  return `window.${callback}(${shard !== undefined ? `${shard}, ` : ''}JSON.parse('${literal}'));\n`;
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}
