// smelt beside dbt on the same generated project, same machine, same run: parse, compile and
// run (DuckDB). Optional: needs dbt-core + dbt-duckdb. Give DBT=/path/to/dbt, or let the script
// create a virtual environment under bench/out/dbt-venv (pip, from PyPI). Without Python or
// the packages it prints a notice and exits 0; smelt itself never depends on Python.
// Usage: npm run build && node bench/dbt/run.mjs [--models 1000] [--repeat 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from '../lib/gen-project.mjs';
import { arg, fmt, median, ROOT, smelt } from '../lib/util.mjs';

const MODELS = Number(arg('models', 1000));
const REPEAT = Number(arg('repeat', 3));

function findDbt() {
  if (process.env.DBT && existsSync(process.env.DBT)) return process.env.DBT;
  const venv = join(ROOT, 'bench', 'out', 'dbt-venv');
  const dbt = join(venv, 'bin', 'dbt');
  if (existsSync(dbt)) return dbt;
  const python = spawnSync('python3', ['--version']);
  if (python.status !== 0) return undefined;
  mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
  console.log('creating a virtual environment with dbt-core and dbt-duckdb (one time)...');
  if (spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' }).status !== 0) return undefined;
  if (spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', 'dbt-core', 'dbt-duckdb'], { stdio: 'inherit' }).status !== 0) return undefined;
  return existsSync(dbt) ? dbt : undefined;
}

function timeDbt(dbt, dir, args) {
  const started = performance.now();
  const result = spawnSync(dbt, [...args, '--profiles-dir', dir], { cwd: dir, encoding: 'utf8', env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
  if (result.status !== 0) throw new Error(`dbt ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return (performance.now() - started) / 1000;
}

const dbt = findDbt();
if (!dbt) {
  console.log('NOTICE: dbt is not available (no python3, or dbt-core/dbt-duckdb could not be installed): skipping the side-by-side comparison.');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-dbt-'));
generateProject(dir, { models: MODELS, targets: 'target: dev\ntargets:\n  dev:\n    type: duckdb\n    path: target/smelt.duckdb\n    threads: 2\n' });
// The same project in dbt's format: dbt_project.yml beside project.yml, and a profile.
writeFileSync(join(dir, 'dbt_project.yml'), `name: bench\nversion: "1.0"\nprofile: bench\nvars:\n  factor: 2\nmodels:\n  bench:\n    bronze:\n      +materialized: view\n    silver:\n      +materialized: view\n    gold:\n      +materialized: view\n`);
writeFileSync(join(dir, 'profiles.yml'), `bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dir, 'target', 'dbt.duckdb')}\n      threads: 2\n`);

const rows = [];
for (const [label, dbtArgs, smeltArgs] of [
  ['parse', ['parse'], ['parse', '-q']],
  ['compile', ['compile'], ['compile', '-q']],
  ['run', ['run'], ['run', '-q', '--threads', '2']],
]) {
  const d = [];
  const s = [];
  for (let r = 0; r < REPEAT; r++) {
    d.push(timeDbt(dbt, dir, dbtArgs));
    s.push(smelt(dir, smeltArgs).seconds);
  }
  rows.push([label, median(d), median(s)]);
}
console.log(`\n${MODELS} models on DuckDB, median of ${REPEAT} (dbt ${spawnSync(dbt, ['--version'], { encoding: 'utf8' }).stdout.match(/installed: ([\d.]+)/)?.[1] ?? '?'}):`);
console.log('  command   dbt        smelt      dbt / smelt');
for (const [label, d, s] of rows) console.log(`  ${label.padEnd(9)} ${fmt(d).padStart(9)} ${fmt(s).padStart(9)}   ${(d / s).toFixed(1)}x`);
rmSync(dir, { recursive: true, force: true });
