// P3: `smelt seed` throughput beside the databases' own loaders, and peak memory.
//   npm run build && node bench/seeds/run.mjs [--rows 1000000] [--repeat 5] [--rss-rows 5000000] [--dialects duckdb,postgres] [--before OTHER/bin/smelt.js]
// (--repeat 0: only the peak-RSS runs; --rss-rows 0: no peak-RSS runs; --before: another build
// of smelt, e.g. a copy of bin/ and dist/ made before a change, run in turn with this one and
// the native loader, so a before/after comparison shares the machine's conditions)
// For each database: the seed's load time (executionTime in run_results.json: inspect, checksum,
// load, swap) and the whole command's wall time, against DuckDB's read_csv into a table and
// `psql \copy` into a table of the same column types, on the same generated 10-column file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { arg, fmt, median, ROOT, SMELT, targetsYaml, writeFiles } from '../lib/util.mjs';

const ROWS = Number(arg('rows', 1_000_000));
const REPEAT = Number(arg('repeat', 5));
const RSS_ROWS = Number(arg('rss-rows', 5_000_000));
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const BEFORE = arg('before', undefined);
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const SCHEMA = 'smelt_bench_seeds';

function csvFile(rows) {
  const file = join(ROOT, 'bench/out', `seed-${rows}.csv`);
  if (!existsSync(file)) {
    mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
    const r = spawnSync(process.execPath, [join(ROOT, 'bench/seeds/generate.mjs'), String(rows), file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('generate failed');
  }
  return file;
}

function project(dialect, file) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p3-'));
  writeFiles(dir, { 'project.yml': `name: bench\nversion: "1.0"\n\n${targetsYaml(dialect, SCHEMA)}` });
  mkdirSync(join(dir, 'seeds'));
  symlinkSync(file, join(dir, 'seeds/bench.csv'));
  return dir;
}

function seedOnce(dir, bin = SMELT) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [bin, 'seed', '--full-refresh', '-q'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`smelt seed failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const results = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8'));
  const result = results.results[0];
  if (result.status !== 'success') throw new Error(`seed failed: ${result.message}`);
  return { wall: seconds, load: result.executionTime, rows: result.rowsAffected };
}

function duckdbNative(file) {
  const db = join(tmpdir(), `smelt-bench-native-${process.pid}.duckdb`);
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bench/seeds/duckdb-native.mjs'), file, db, '2'], { encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  rmSync(db, { force: true });
  if (r.status !== 0) throw new Error(r.stderr);
  return { wall, load: Number(r.stdout.trim()) };
}

async function pgNative(file, columns) {
  const client = new pg.Client(PG);
  await client.connect();
  await client.query(`drop table if exists ${SCHEMA}.native; create table ${SCHEMA}.native (${columns.map((c) => `"${c.column_name}" ${c.data_type}`).join(', ')})`);
  await client.end();
  const started = performance.now();
  const r = spawnSync('psql', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', PG.database, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${SCHEMA}.native from '${file}' with (format csv, header true)`], { encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(r.stderr);
  return { wall, load: wall };
}

async function pgColumns() {
  const client = new pg.Client(PG);
  await client.connect();
  const { rows } = await client.query(`select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = 'bench' order by ordinal_position`, [SCHEMA]);
  await client.end();
  return rows;
}

async function pgReset() {
  const client = new pg.Client(PG);
  await client.connect();
  await client.query(`drop schema if exists ${SCHEMA} cascade`);
  await client.end();
}

function peakRss(dir) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, SMELT, 'seed', '--full-refresh', '-q'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)[1]);
  const wall = /Elapsed \(wall clock\) time.*: (.*)/.exec(r.stderr)[1];
  return { mb: kb / 1024, wall };
}

const file = csvFile(ROWS);
const size = readFileSync(file).length;
console.log(`P3 seeds: ${ROWS.toLocaleString('en-US')} rows x 10 columns, ${(size / 1e6).toFixed(0)} MB, ${REPEAT} runs each, interleaved`);
const rate = (rows, seconds) => `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;

for (const dialect of REPEAT > 0 ? DIALECTS : []) {
  if (dialect === 'postgres') await pgReset();
  const dir = project(dialect, file);
  const ours = [];
  const before = [];
  const native = [];
  for (let i = 0; i < REPEAT; i++) {
    // With --before, the two builds take turns going first.
    if (BEFORE && i % 2 === 1) before.push(seedOnce(dir, BEFORE));
    ours.push(seedOnce(dir));
    if (BEFORE && i % 2 === 0) before.push(seedOnce(dir, BEFORE));
    native.push(dialect === 'duckdb' ? duckdbNative(file) : await pgNative(file, await pgColumns()));
  }
  const name = dialect === 'duckdb' ? 'DuckDB read_csv' : 'psql \\copy';
  // Each smelt run is paired with the native run right after it: the median of those ratios
  // is the figure least moved by whatever else the machine is doing.
  const paired = (runs, key) => median(runs.map((o, i) => o[key] / native[i][key]));
  console.log(`  ${dialect.padEnd(8)} ratio smelt / native, median of ${REPEAT} paired runs: load ${paired(ours, 'load').toFixed(2)}x, command ${paired(ours, 'wall').toFixed(2)}x`);
  if (BEFORE) {
    console.log(`  ${dialect.padEnd(8)} ratio before / native, same runs: load ${paired(before, 'load').toFixed(2)}x, command ${paired(before, 'wall').toFixed(2)}x`);
    console.log(`  ${''.padEnd(15)} median load: this build ${fmt(median(ours.map((o) => o.load)))}, before ${fmt(median(before.map((o) => o.load)))}, native ${fmt(median(native.map((o) => o.load)))}`);
  }
  // Median and best of the runs: on a shared 2-core machine the best is the steadier figure.
  for (const [label, pick] of [['median', median], ['best', (values) => Math.min(...values)]]) {
    const load = pick(ours.map((o) => o.load));
    const wall = pick(ours.map((o) => o.wall));
    const nativeLoad = pick(native.map((o) => o.load));
    const nativeWall = pick(native.map((o) => o.wall));
    console.log(`  ${dialect.padEnd(8)} ${label.padEnd(6)} smelt seed: load ${fmt(load)} (${rate(ROWS, load)}), command ${fmt(wall)}`);
    console.log(`  ${''.padEnd(15)} ${name}: load ${fmt(nativeLoad)} (${rate(ROWS, nativeLoad)}), command ${fmt(nativeWall)}`);
    console.log(`  ${''.padEnd(15)} ratio smelt / native: load ${(load / nativeLoad).toFixed(2)}x, command ${(wall / nativeWall).toFixed(2)}x`);
  }
  rmSync(dir, { recursive: true, force: true });
}

if (RSS_ROWS > 0) {
  const big = csvFile(RSS_ROWS);
  for (const dialect of DIALECTS) {
    if (dialect === 'postgres') await pgReset();
    const dir = project(dialect, big);
    const { mb, wall } = peakRss(dir);
    console.log(`  peak RSS, ${RSS_ROWS.toLocaleString('en-US')} rows on ${dialect}: smelt seed ${mb.toFixed(0)} MB (wall ${wall})`);
    if (dialect === 'duckdb') {
      // DuckDB runs inside the process: its buffer manager's memory is in the RSS too.
      const db = join(tmpdir(), `smelt-bench-native-${process.pid}.duckdb`);
      const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(ROOT, 'bench/seeds/duckdb-native.mjs'), big, db, '2'], { encoding: 'utf8' });
      rmSync(db, { force: true });
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
      console.log(`  ${''.padEnd(15)} DuckDB read_csv alone (node + DuckDB, no smelt): ${(kb / 1024).toFixed(0)} MB`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
if (DIALECTS.includes('postgres')) await pgReset();
