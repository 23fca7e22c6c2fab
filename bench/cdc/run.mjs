// CDC: `smelt ingest` throughput, a second ingest of the same files, and cdc_current / cdc_history
// built whole and then incrementally after a small batch.
//   npm run build && node bench/cdc/run.mjs [--events 1000000] [--keys 100000] [--dialects duckdb,postgres]
// (SMELT_CLI=path/to/cli/main.js runs another build of the CLI.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { arg, fmt, ROOT, targetsYaml, writeFiles } from '../lib/util.mjs';

const EVENTS = Number(arg('events', 1_000_000));
const KEYS = Number(arg('keys', 100_000));
const PER_FILE = 100_000;
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const SCHEMA = 'smelt_bench_cdc';
const CLI = process.env.SMELT_CLI ?? join(ROOT, 'bin/smelt.js');

function smelt(cwd, args) {
  const started = performance.now();
  const runner = CLI.endsWith('main.js') ? ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(process.argv.slice(1));`, '--', ...args] : [CLI, ...args];
  const r = spawnSync(process.execPath, runner, { cwd, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`smelt ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return { seconds: (performance.now() - started) / 1000, stdout: r.stdout };
}

/** Debezium events: a snapshot of every key, then updates (80%), deletes (10%) and creates (10%). */
function generate(dir, events, keys, firstLsn, file) {
  let lsn = firstLsn;
  let lines = [];
  let written = 0;
  let index = 0;
  const flush = () => {
    if (lines.length === 0) return;
    writeFileSync(join(dir, 'cdc', `${file}-${String(index++).padStart(4, '0')}.ndjson`), lines.join('\n') + '\n');
    lines = [];
  };
  const row = (id, n) => ({ id, name: `customer ${id}`, email: `c${id}@example.com`, tier: ['bronze', 'silver', 'gold'][n % 3], balance: `${(n % 1000) + 0.5}`, signup_date: 19000 + (id % 700), updated_at: 1704103200000000 + n * 1000 });
  const event = (op, id, n) => JSON.stringify({
    before: op === 'd' ? { id } : null, after: op === 'd' ? null : row(id, n),
    source: { ts_ms: 1704103200000 + n, snapshot: op === 'r' ? 'true' : 'false', schema: 'public', table: 'customers', txId: 1000 + n, lsn: lsn++ },
    op, ts_ms: 1704103200000 + n + 5,
  });
  for (let n = 0; n < events; n++) {
    const id = n < keys && firstLsn === 1 ? n + 1 : 1 + Math.floor(Math.random() * keys * 1.1);
    const op = n < keys && firstLsn === 1 ? 'r' : ['u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'd', 'c'][n % 10];
    lines.push(event(op, id, n));
    if (op === 'd') lines.push('null');
    if (++written % PER_FILE === 0) flush();
  }
  flush();
  return lsn;
}

const results = [];
for (const dialect of DIALECTS) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-cdc-'));
  writeFiles(dir, {
    'project.yml': `name: bench\nversion: "1.0"\n\n${targetsYaml(dialect, SCHEMA)}`,
    'models/sources.yml': `version: 2\nsources:\n  - name: app\n    schema: ${dialect === 'duckdb' ? 'raw_cdc' : `${SCHEMA}_raw`}\n    tables:\n      - name: customers\n        cdc: {path: cdc, primary_key: id}\n        columns:\n          - {name: id, data_type: integer}\n          - {name: name, data_type: varchar}\n          - {name: email, data_type: varchar}\n          - {name: tier, data_type: varchar}\n          - {name: balance, data_type: "decimal(12,2)"}\n          - {name: signup_date, data_type: date}\n          - {name: updated_at, data_type: timestamp}\n`,
    'models/customers_current.sql': "{{ config(materialized='cdc_current') }}\nselect * from {{ source('app', 'customers') }}\n",
    'models/customers_history.sql': "{{ config(materialized='cdc_history') }}\nselect * from {{ source('app', 'customers') }}\n",
    'cdc/.keep': '',
  });
  if (dialect === 'postgres') {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${SCHEMA}_raw cascade`);
    await client.end();
  }
  const lsn = generate(dir, EVENTS, KEYS, 1, 'a');
  const ingest = smelt(dir, ['ingest', '-q']);
  const again = smelt(dir, ['ingest', '-q']);
  const runCurrent = smelt(dir, ['run', '-q', '-s', 'customers_current']);
  const runHistory = smelt(dir, ['run', '-q', '-s', 'customers_history']);
  generate(dir, 10_000, KEYS, lsn, 'b');
  const small = smelt(dir, ['ingest', '-q']);
  const incremental = smelt(dir, ['run', '-q']);
  const runResults = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')).results.map((r) => `${r.name} ${r.message} ${r.executionTime.toFixed(2)}s`);
  if (dialect === 'postgres') {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${SCHEMA}_raw cascade`);
    await client.end();
  }
  rmSync(dir, { recursive: true, force: true });
  results.push({ dialect, ingest: ingest.seconds, rate: EVENTS / ingest.seconds, again: again.seconds, current: runCurrent.seconds, history: runHistory.seconds, small: small.seconds, incremental: incremental.seconds, runResults });
}
for (const r of results) {
  console.log(`${r.dialect}: ingest ${EVENTS.toLocaleString('en-US')} events ${fmt(r.ingest)} (${Math.round(r.rate).toLocaleString('en-US')} events/s); same files again ${fmt(r.again)};`
    + ` cdc_current whole ${fmt(r.current)}, cdc_history whole ${fmt(r.history)}; +10,000 events: ingest ${fmt(r.small)}, both models incrementally ${fmt(r.incremental)} (${r.runResults.join('; ')})`);
}
