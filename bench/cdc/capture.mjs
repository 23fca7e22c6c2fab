// Live capture: `smelt capture --once` throughput from a pgoutput slot of the local PostgreSQL
// (wal_level=logical) into the change log, on DuckDB and on PostgreSQL: the initial snapshot,
// a backlog of small transactions, and one large transaction.
//   npm run build && node bench/cdc/capture.mjs [--rows 100000] [--dialects duckdb,postgres] [--batch-size 10000]
// The figures are the batches' own times as smelt prints them (process start and checks excluded),
// then the whole command's wall time. PGDATABASE picks the captured database (default test, the
// PostgreSQL warehouse's own: slower, as the slot then decodes the warehouse's writes too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { arg, fmt, smelt, targetsYaml, writeFiles } from '../lib/util.mjs';

const ROWS = Number(arg('rows', 100_000));
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const BATCH = arg('batch-size', undefined);
const once = BATCH ? ['capture', '--once', '--batch-size', BATCH] : ['capture', '--once'];
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };
const SOURCE = 'smelt_bench_capture_src';
const SLOT = 'smelt_bench_capture';
const SCHEMA = 'smelt_bench_capture';

const admin = new pg.Client(PG);
await admin.connect();
const cleanup = async () => {
  await admin.query('select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1', [SLOT]);
  await admin.query(`drop publication if exists ${SLOT}; drop schema if exists ${SOURCE} cascade`);
  // The PostgreSQL warehouse is database test (bench/lib/util.mjs), whichever database is captured.
  const warehouse = new pg.Client({ ...PG, database: 'test' });
  await warehouse.connect();
  await warehouse.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${SCHEMA}_cdc cascade`);
  await warehouse.end();
};

/** Events and seconds of the batches smelt printed (`... N events ... (1.23s)`). */
function batches(stdout, kind) {
  let events = 0;
  let seconds = 0;
  for (const line of stdout.split('\n')) {
    const m = kind === 'snapshot' ? /initial snapshot at \S+: (\d+) rows.*\((\d+\.\d+)s\)/.exec(line) : /\d+ transactions?, (\d+) events.*\((\d+\.\d+)s\)/.exec(line);
    if (m) {
      events += Number(m[1]);
      seconds += Number(m[2]);
    }
  }
  return { events, seconds };
}

const results = [];
try {
  for (const dialect of DIALECTS) {
    await cleanup();
    await admin.query(`create schema ${SOURCE}; create table ${SOURCE}.orders (id integer primary key, customer_id integer not null, amount numeric(12, 2), status text, updated_at timestamp)`);
    await admin.query(`insert into ${SOURCE}.orders select g, g % 5000, g / 100.0, 'pending', timestamp '2024-01-01' + g * interval '1 second' from generate_series(1, ${ROWS}) g`);
    const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-capture-'));
    writeFiles(dir, {
      'project.yml': `name: bench\nversion: "1.0"\n\n${targetsYaml(dialect, SCHEMA)}`,
      'models/sources.yml': `version: 2\nsources:\n  - name: live\n    schema: ${dialect === 'duckdb' ? 'live' : `${SCHEMA}_cdc`}\n    tables:\n      - name: orders\n        cdc:\n          primary_key: id\n          table: ${SOURCE}.orders\n          capture: {connection: {database: ${PG.database}}, slot: ${SLOT}, create_slot: true}\n`,
    });
    const snapshot = smelt(dir, once);
    // A backlog of small transactions (10 rows each), then one transaction that changes every row.
    for (let i = 0; i < ROWS / 10; i += 500) {
      await admin.query(`do $$ begin for t in ${i}..${i + 499} loop update ${SOURCE}.orders set status = 'shipped', updated_at = now() where id between t * 10 + 1 and t * 10 + 10; commit; end loop; end $$`);
    }
    const backlog = smelt(dir, once);
    await admin.query(`update ${SOURCE}.orders set amount = amount + 1`);
    const large = smelt(dir, once);
    rmSync(dir, { recursive: true, force: true });
    results.push({ dialect, snapshot: { ...batches(snapshot.stdout, 'snapshot'), wall: snapshot.seconds }, backlog: { ...batches(backlog.stdout), wall: backlog.seconds }, large: { ...batches(large.stdout), wall: large.seconds } });
  }
} finally {
  await cleanup();
  await admin.end();
}
const rate = (r) => `${Math.round(r.events / r.seconds).toLocaleString('en-US')} events/s (${r.events.toLocaleString('en-US')} in ${fmt(r.seconds)}; command ${fmt(r.wall)})`;
for (const r of results) {
  console.log(`${r.dialect}: initial snapshot ${rate(r.snapshot)}; backlog of ${(ROWS / 10).toLocaleString('en-US')} transactions ${rate(r.backlog)}; one transaction of ${ROWS.toLocaleString('en-US')} changes ${rate(r.large)}`);
}
