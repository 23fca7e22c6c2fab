// P7: the docs site on a 10,000-model project.
// 1. `smelt docs generate` wall time (whole CLI: compile + parse + lineage + write), and the
//    docs stage alone from a compiled manifest, phase by phase;
// 2. time to interactive in headless Chromium, from navigation start to the view being drawn
//    (body[data-ready]), for the lineage overview, a focused neighbourhood, a node page and a
//    column trace, plus in-page interactions (re-focus, search results after typing).
// Usage: npm run build && node bench/docs/run.mjs [--models 10000] [--repeat 3]
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { arg, fmt, median, ROOT, smelt } from '../lib/util.mjs';
import { CHROME_ARGS, CHROMIUM } from './browser.mjs';
import { generateDocsProject } from './gen-docs-project.mjs';

const MODELS = Number(arg('models', 10000));
const REPEAT = Number(arg('repeat', 3));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`P7 docs, ${MODELS.toLocaleString('en-US')} models, median of ${REPEAT}; load average before: ${load()}`);

const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p7-'));
try {
  generateDocsProject(dir, { models: MODELS });

  // 1a. The whole command, as a user runs it (no warehouse: it is not built), alternating:
  //     cold (no caches under target/partial/), warm (nothing changed), one model changed.
  const cli = { cold: [], warm: [], changed: [] };
  const changedFile = join(dir, 'models/silver/d00', readdirSync(join(dir, 'models/silver/d00')).find((f) => f.endsWith('.sql')));
  const original = readFileSync(changedFile, 'utf8');
  for (let r = 0; r < REPEAT; r++) {
    writeFileSync(changedFile, original);
    rmSync(join(dir, 'target/partial'), { recursive: true, force: true });
    cli.cold.push(smelt(dir, ['docs', 'generate', '-q']).seconds);
    cli.warm.push(smelt(dir, ['docs', 'generate', '-q']).seconds);
    writeFileSync(changedFile, original.replace(/\nfrom /, `,\n  ${r} as extra_${r}\nfrom `));
    cli.changed.push(smelt(dir, ['docs', 'generate', '-q']).seconds);
  }
  writeFileSync(changedFile, original);
  console.log(`smelt docs generate (CLI, cold process): no caches ${fmt(median(cli.cold))}, warm ${fmt(median(cli.warm))}, one model changed ${fmt(median(cli.changed))}`);
  console.log('  (docs stage cold/warm, phase by phase: node bench/docs/stage.mjs)');

  // 1b. The docs stage alone, from the compiled manifest, phase by phase.
  const { openSession } = await import(pathToFileURL(join(ROOT, 'dist/core/session.js')).href);
  const { generateDocs } = await import(pathToFileURL(join(ROOT, 'dist/core/docs/generate-docs.js')).href);
  const { DuckdbAdapter } = await import(pathToFileURL(join(ROOT, 'dist/core/adapters/duckdb/duckdb-adapter.js')).href);
  let started = performance.now();
  const session = openSession({ projectDir: dir });
  const compileMs = performance.now() - started;
  const phases = [];
  for (let r = 0; r < REPEAT; r++) {
    const adapter = new DuckdbAdapter({ path: join(dir, 'target/none.duckdb'), threads: 2, readOnly: true });
    started = performance.now();
    const result = await generateDocs({ manifest: session.compiled.manifest, outDir: join(dir, 'target/docs'), projectRoot: dir, adapter, warn: () => undefined });
    phases.push({ total: performance.now() - started, ...result.timings, bytes: result.bytes, files: result.files, lineageNodes: result.lineageNodes });
    await adapter.close();
  }
  const med = (key) => median(phases.map((p) => p[key]));
  console.log(`  compile (load + render + manifest):     ${fmt(compileMs / 1000)} (in process)`);
  console.log(`  docs stage from the manifest, no cache: ${fmt(med('total') / 1000)} = parse + column lineage ${fmt(med('lineage') / 1000)} + site data ${fmt(med('site') / 1000)} + files ${fmt(med('write') / 1000)}`);
  console.log(`  site: ${phases[0].files} files, ${(phases[0].bytes / 1e6).toFixed(1)} MB of data; column lineage for ${phases[0].lineageNodes} nodes`);

  // 2. Chromium.
  const gold = `model.bench_docs.m${String(MODELS - 1).padStart(5, '0')}`;
  const silver = `model.bench_docs.m${String(Math.floor(MODELS * 0.5)).padStart(5, '0')}`;
  const base = pathToFileURL(join(dir, 'target/docs/index.html')).href;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
  try {
    const cold = async (hash, view) => {
      const times = [];
      let nodes = '';
      for (let r = 0; r < REPEAT; r++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
        const page = await context.newPage();
        await page.goto(`${base}${hash}`);
        await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 60_000 });
        times.push(await page.evaluate(() => performance.now()));
        nodes = await page.evaluate(() => {
          const svg = document.querySelector('svg.graph');
          if (svg?.getAttribute('data-folders')) return `${svg.getAttribute('data-folders')} folders drawn`;
          const drawn = svg?.getAttribute('data-nodes') ?? '';
          const t = window.__smeltGraphTimings;
          return drawn && t ? `${drawn}; dagre layout ${Math.round(t.layoutMs)} ms, drawing ${Math.round(t.drawMs)} ms` : drawn;
        });
        await context.close();
      }
      return { ms: median(times), nodes };
    };
    const row = (label, { ms, nodes }, extra = '') => console.log(`  ${label.padEnd(46)} ${fmt(ms / 1000).padStart(8)}${nodes ? `  (${nodes.replace(/^(\d+)(;|$)/, '$1 nodes drawn$2')})` : ''}${extra}`);
    console.log('time to interactive in Chromium (navigation start -> view drawn):');
    row('lineage view, whole project (folder overview)', await cold('#/lineage', 'lineage'));
    row('lineage view focused on a gold model (all hops)', await cold(`#/lineage?focus=${gold}`, 'lineage'));
    row('lineage view focused on a silver model', await cold(`#/lineage?focus=${silver}`, 'lineage'));
    row('focused on a source read by 60 models (capped)', await cold('#/lineage?focus=source.bench_docs.raw.t0', 'lineage'), ' <- worst case: the most nodes ever laid out');
    row('node page of a gold model', await cold(`#/node/${gold}`, 'node'));
    row('column trace of a gold column', await cold(`#/lineage?focus=${gold}&column=total_amount`, 'lineage'));

    // In-page interactions on a loaded site.
    const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
    const page = await context.newPage();
    await page.goto(`${base}#/lineage`);
    await page.waitForSelector('body[data-ready="lineage"]');
    const refocus = [];
    const searches = [];
    for (let r = 0; r < REPEAT; r++) {
      const target = `model.bench_docs.m${String(Math.floor(MODELS * (0.7 + r * 0.05))).padStart(5, '0')}`;
      refocus.push(await page.evaluate(async (id) => {
        const t0 = performance.now();
        location.hash = `#/lineage?focus=${encodeURIComponent(id)}`;
        while (document.body.getAttribute('data-ready') !== 'lineage' || !location.hash.includes(encodeURIComponent(id))) await new Promise((r) => setTimeout(r, 5));
        return performance.now() - t0;
      }, target));
      searches.push(await page.evaluate(async (q) => {
        const input = document.getElementById('search');
        const box = document.getElementById('search-results');
        box.hidden = true;
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input'));
        while (box.hidden || !box.querySelector('.result')) await new Promise((r) => setTimeout(r, 2));
        return performance.now() - t0;
      }, ['total_am', 'customer', 'm0420'][r % 3]));
    }
    await context.close();
    console.log('interactions on a loaded site:');
    console.log(`  focus another node (hash change -> drawn)       ${fmt(median(refocus) / 1000).padStart(8)}`);
    console.log(`  search results after typing (incl. 60 ms debounce) ${fmt(median(searches) / 1000).padStart(5)}`);
  } finally {
    await browser.close();
  }
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
