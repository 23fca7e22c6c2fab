// P7: the docs stage alone (from a compiled manifest), cold and warm, phase by phase:
// - cold: no lineage cache (every node parsed), as on a fresh clone;
// - warm: a second `docs generate` with nothing changed;
// - one model changed: a silver model gains a column, so the gold models reading it through
//   `select *` must be resolved again.
// Runs alternate (cold, warm, changed) so machine load hits them alike; medians of --repeat.
// Each repeat also checks that the cached runs wrote exactly what an uncached run writes.
// Usage: npm run build && node bench/docs/stage.mjs [--models 10000] [--repeat 5]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, fmt, median, ROOT } from '../lib/util.mjs';
import { generateDocsProject } from './gen-docs-project.mjs';

const MODELS = Number(arg('models', 10000));
const REPEAT = Number(arg('repeat', 5));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`P7 docs stage, ${MODELS.toLocaleString('en-US')} models, median of ${REPEAT}; load average before: ${load()}`);

const { openSession } = await import(pathToFileURL(join(ROOT, 'dist/core/session.js')).href);
const { generateDocs } = await import(pathToFileURL(join(ROOT, 'dist/core/docs/generate-docs.js')).href);
const { lineageCachePath } = await import(pathToFileURL(join(ROOT, 'dist/core/docs/lineage/lineage-cache.js')).href);
const { DuckdbAdapter } = await import(pathToFileURL(join(ROOT, 'dist/core/adapters/duckdb/duckdb-adapter.js')).href);

const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p7-stage-'));
try {
  generateDocsProject(dir, { models: MODELS });
  const session = openSession({ projectDir: dir });
  const manifest = session.compiled.manifest;
  const cachePath = lineageCachePath(join(dir, 'target'));
  const outDir = join(dir, 'target/docs');

  const generate = async (cached) => {
    const adapter = new DuckdbAdapter({ path: join(dir, 'target/none.duckdb'), threads: 2, readOnly: true });
    const started = performance.now();
    const result = await generateDocs({ manifest, outDir, projectRoot: dir, adapter, lineageCachePath: cached ? cachePath : undefined, warn: () => undefined });
    const total = performance.now() - started;
    await adapter.close();
    return { total, ...result.timings, ...result.lineageStats, bytes: result.bytes, files: result.files };
  };
  /** Every data file, with the generation time taken out of the index. */
  const snapshot = () => {
    const files = { 'index.js': readFileSync(join(outDir, 'data/index.js'), 'utf8').replace(/"generatedAt":"[^"]*"/, ''), 'lineage.js': readFileSync(join(outDir, 'data/lineage.js'), 'utf8') };
    for (const f of readdirSync(join(outDir, 'data/details'))) files[f] = readFileSync(join(outDir, 'data/details', f), 'utf8');
    return files;
  };
  const same = (a, b) => Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

  // A silver model that gold models read: the change reaches them through `select *`.
  const silver = Object.values(manifest.nodes).find((n) => n.config.materialized === 'table' && (manifest.childMap[n.uniqueId] ?? []).some((c) => manifest.nodes[c]?.config.materialized === 'table' && manifest.nodes[c].compiledSql.includes(`select * from "main"."${n.name}"`)));
  const original = silver.compiledSql;
  const runs = { cold: [], warm: [], changed: [] };
  let identical = true;
  for (let r = 0; r < REPEAT; r++) {
    silver.compiledSql = original;
    rmSync(cachePath, { force: true });
    runs.cold.push(await generate(true));
    const uncached = snapshot();
    runs.warm.push(await generate(true));
    identical &&= same(uncached, snapshot());
    silver.compiledSql = original.replace(/\nfrom /, `,\n  ${r} as extra_${r}\nfrom `);
    runs.changed.push(await generate(true));
    const changed = snapshot();
    await generate(false);
    identical &&= same(changed, snapshot());
  }
  silver.compiledSql = original;

  const show = (label, list) => {
    const m = (key) => median(list.map((p) => p[key]));
    console.log(`${label.padEnd(28)} ${fmt(m('total') / 1000)} = lineage ${fmt(m('lineage') / 1000)} (parsed ${m('parsed')}, from cache ${m('reused')}, passes ${m('waves')}) + site data ${fmt(m('site') / 1000)} + files ${fmt(m('write') / 1000)}`);
  };
  show('cold (no lineage cache)', runs.cold);
  show('warm, nothing changed', runs.warm);
  show('warm, one model changed', runs.changed);
  console.log(`site: ${runs.cold[0].files} files, ${(runs.cold[0].bytes / 1e6).toFixed(1)} MB; cached runs wrote what an uncached run writes: ${identical ? 'yes' : 'NO'}`);
  console.log(`load average after: ${load()}`);
  if (!identical) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
