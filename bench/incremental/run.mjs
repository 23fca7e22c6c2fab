// P4: incremental run vs full refresh on a generated fact (default 10M rows, 1% new rows).
// P5: a no-op `smelt run --changed` over 1,000 unchanged models.
// Usage: npm run build && node bench/incremental/run.mjs [--rows 10000000] [--models 1000] [--dialects duckdb,postgres] [--repeat 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { arg, fmt, median, smelt, targetsYaml, writeFiles } from '../lib/util.mjs';

/** The model's own build time from run_results.json: the work, without process start-up and compile. */
function nodeSeconds(dir) {
  const results = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')).results;
  return results.reduce((sum, r) => sum + r.executionTime, 0);
}

const ROWS = Number(arg('rows', 10_000_000));
const MODELS = Number(arg('models', 1000));
const REPEAT = Number(arg('repeat', 3));
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const ONLY = arg('only', 'p4,p5').split(',');
const NEW_ROWS = Math.round(ROWS / 100);

async function sql(dialect, dir, schema, statement) {
  if (dialect === 'duckdb') {
    const instance = await DuckDBInstance.create(join(dir, 'target/bench.duckdb'));
    const connection = await instance.connect();
    try { await connection.run(statement); } finally { connection.closeSync(); instance.closeSync(); }
    return;
  }
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await client.connect();
  try { await client.query(statement.replaceAll('SCHEMA', schema)); } finally { await client.end(); }
}

/** Source rows with ids [from, to). Deterministic values from the id: no randomness to seed. */
function sourceRows(schemaRef, from, to) {
  return `insert into ${schemaRef}.src_events
    select i as event_id, (i * 7919) % 100000 as user_id, (i % 17) as event_type, (i % 1000) / 10.0 as amount,
           timestamp '2024-01-01' + (i % 31536000) * interval '1 second' as occurred_at
    from generate_series(cast(${from} as bigint), cast(${to - 1} as bigint)) as g(i)`;
}

async function p4(dialect) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p4-'));
  const schema = `bench_p4_${process.pid}`;
  const schemaRef = dialect === 'duckdb' ? 'main' : schema;
  writeFiles(dir, {
    'project.yml': `name: bench\n${targetsYaml(dialect, schema)}`,
    'models/fact_events.sql': `{{ config(materialized='incremental', unique_key='event_id', incremental_strategy=var('strategy', 'append')) }}
select event_id, user_id, event_type, amount, occurred_at, amount * 2 as amount_x2
from ${schemaRef}.src_events
{% if is_incremental() %}where event_id > (select max(event_id) from {{ this }}){% endif %}
`,
  });
  if (dialect === 'postgres') await sql(dialect, dir, schema, `drop schema if exists ${schema} cascade; create schema ${schema}`);
  else smelt(dir, ['debug']); // creates the database file
  await sql(dialect, dir, schema, `create table ${schemaRef}.src_events (event_id bigint primary key, user_id bigint, event_type integer, amount numeric(10, 2), occurred_at timestamp)`);
  await sql(dialect, dir, schema, sourceRows(schemaRef, 0, ROWS));
  const results = {};
  for (const strategy of ['append', 'merge', 'delete+insert']) {
    const full = [];
    const incremental = [];
    const fullNode = [];
    const incrementalNode = [];
    for (let r = 0; r < REPEAT; r++) {
      await sql(dialect, dir, schema, `delete from ${schemaRef}.src_events where event_id >= ${ROWS}`);
      full.push(smelt(dir, ['run', '--full-refresh', '--vars', `{strategy: '${strategy}'}`]).seconds);
      fullNode.push(nodeSeconds(dir));
      await sql(dialect, dir, schema, sourceRows(schemaRef, ROWS, ROWS + NEW_ROWS));
      incremental.push(smelt(dir, ['run', '--vars', `{strategy: '${strategy}'}`]).seconds);
      incrementalNode.push(nodeSeconds(dir));
    }
    results[strategy] = { full: median(full), incremental: median(incremental), fullNode: median(fullNode), incrementalNode: median(incrementalNode), fullNodes: fullNode };
  }
  // Every strategy's full refresh runs the same SQL: their pooled median is the steadier denominator.
  const pooled = median(Object.values(results).flatMap((r) => r.fullNodes));
  for (const r of Object.values(results)) r.pooledFullNode = pooled;
  if (dialect === 'postgres') await sql(dialect, dir, schema, `drop schema if exists ${schema} cascade`);
  rmSync(dir, { recursive: true, force: true });
  return results;
}

async function p5(dialect) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p5-'));
  const schema = `bench_p5_${process.pid}`;
  const files = { 'project.yml': `name: bench\nvars:\n  factor: 2\n${targetsYaml(dialect, schema)}`, 'macros/double.sql': '{% macro double(x) %}({{ x }} * {{ var("factor") }}){% endmacro %}\n' };
  for (let i = 0; i < MODELS; i++) {
    const layer = i < MODELS / 3 ? 'bronze' : i < (2 * MODELS) / 3 ? 'silver' : 'gold';
    const parent = i < MODELS / 3 ? null : `m${String(Math.floor(i / 3)).padStart(4, '0')}`;
    files[`models/${layer}/m${String(i).padStart(4, '0')}.sql`] = parent
      ? `select id, {{ double('v') }} as v from {{ ref('${parent}') }}\n`
      : `select ${i} as id, 1 as v\n`;
  }
  writeFiles(dir, files);
  smelt(dir, ['run', '-q']);
  const noop = [];
  for (let r = 0; r < Math.max(REPEAT, 5); r++) noop.push(smelt(dir, ['run', '--changed', '-q']).seconds);
  if (dialect === 'postgres') await sql(dialect, dir, schema, `drop schema if exists ${schema} cascade`);
  rmSync(dir, { recursive: true, force: true });
  return median(noop);
}

for (const dialect of DIALECTS) {
  if (ONLY.includes('p4')) {
  console.log(`\n== ${dialect}: P4 incremental vs full refresh, ${ROWS.toLocaleString('en-US')} rows + ${NEW_ROWS.toLocaleString('en-US')} new (median of ${REPEAT})`);
  const r4 = await p4(dialect);
  console.log('  strategy       model build: full / incremental / ratio / over all full refreshes      whole command: full / incremental / ratio');
  for (const [strategy, r] of Object.entries(r4)) {
    console.log(`  ${strategy.padEnd(14)} ${fmt(r.fullNode).padStart(9)} ${fmt(r.incrementalNode).padStart(9)} ${(100 * r.incrementalNode / r.fullNode).toFixed(1).padStart(6)}% ${(100 * r.incrementalNode / r.pooledFullNode).toFixed(1).padStart(6)}% of ${fmt(r.pooledFullNode)}        ${fmt(r.full).padStart(9)} ${fmt(r.incremental).padStart(9)} ${(100 * r.incremental / r.full).toFixed(1).padStart(6)}%`);
  }
  }
  if (!ONLY.includes('p5')) continue;
  console.log(`== ${dialect}: P5 no-op run --changed over ${MODELS} unchanged models`);
  console.log(`  wall ${fmt(await p5(dialect))} (median)`);
}
