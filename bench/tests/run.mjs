// P6: 1,000 generic tests (not_null, unique, accepted_values, relationships, grain) on a
// generated star schema, run by `smelt test` (shared scans, and --no-batch: one query per test as
// dbt does) against the raw time of the same SQL sent straight to the database: each test's
// compiled SQL wrapped in dbt's `select count(*) as failures from (...)`, one query after the
// other (as dbt runs them on one thread) and on --threads connections.
//
// Usage: npm run build && node bench/tests/run.mjs [--dialect duckdb|postgres|both] [--tables 20]
//        [--rows 200000] [--threads 4] [--repeat 3] [--keep 1]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { arg, fmt, median, smelt, writeFiles } from '../lib/util.mjs';

const DIALECTS = arg('dialect', 'both') === 'both' ? ['duckdb', 'postgres'] : [arg('dialect')];
const TABLES = Number(arg('tables', 20));
const ROWS = Number(arg('rows', 200000));
const THREADS = Number(arg('threads', 4));
const REPEAT = Number(arg('repeat', 3));
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const MEASURES = 40;

/** TABLES fact tables of ROWS rows, each with 50 tests, and one dimension they all reference. */
function generate(dir, dialect, schema) {
  const target = dialect === 'duckdb'
    ? `target: dev\ntargets:\n  dev:\n    type: duckdb\n    path: target/bench.duckdb\n    threads: ${THREADS}\n`
    : `target: dev\ntargets:\n  dev:\n    type: postgres\n    host: ${PG.host}\n    user: ${PG.user}\n    database: ${PG.database}\n    schema: ${schema}\n    threads: ${THREADS}\n`;
  const files = {
    'project.yml': `name: bench\nmodels:\n  +materialized: table\n${target}`,
    'macros/rows.sql': `{% macro rows(n) %}{% if target.type == 'duckdb' %}range({{ n }}) as r(i){% else %}generate_series(0, {{ n }} - 1) as r(i){% endif %}{% endmacro %}\n`,
    'models/dim_customers.sql': `select i as customer_id, 'c' || i as name from {{ rows(10000) }}\n`,
  };
  const yaml = ['version: 2', 'models:'];
  for (let t = 0; t < TABLES; t++) {
    const name = `fact_${String(t).padStart(2, '0')}`;
    const measures = Array.from({ length: MEASURES }, (_, m) => `  (i * ${m + 3}) % ${97 + m} as m${m}`).join(',\n');
    files[`models/${name}.sql`] = `select\n  i as id,\n  i % 10000 as customer_id,\n  case i % 3 when 0 then 'placed' when 1 then 'shipped' else 'returned' end as status,\n  i % 5 as channel,\n${measures}\nfrom {{ rows(${ROWS}) }}\n`;
    yaml.push(`  - name: ${name}`);
    yaml.push('    data_tests:', '      - unique_combination_of_columns: {combination_of_columns: [id, status]}');
    yaml.push('    columns:');
    yaml.push('      - name: id', `        data_tests: [unique, not_null, {unique: {name: ${name}_recent_id_unique, where: "id > 1000"}}]`);
    yaml.push('      - name: customer_id', "        data_tests: [not_null, {relationships: {to: ref('dim_customers'), field: customer_id}}]");
    yaml.push('      - name: status', '        data_tests: [not_null, {accepted_values: {values: [placed, shipped, returned]}}]');
    yaml.push('      - name: channel', '        data_tests: [{accepted_values: {values: [0, 1, 2, 3, 4], quote: false}}]');
    for (let m = 0; m < MEASURES; m++) yaml.push(`      - name: m${m}`, '        data_tests: [not_null]');
    yaml.push('      - name: m0', '        data_tests: [{unique: {name: ' + `${name}_m0_unique, config: {severity: warn}}}]`);
  }
  files['models/schema.yml'] = `${yaml.join('\n')}\n`;
  writeFiles(dir, files);
}

/** Each test's SQL as dbt would send it. */
function rawQueries(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  return Object.values(manifest.nodes)
    .filter((n) => n.resourceType === 'test')
    .map((n) => `select count(*) as failures from (\n${n.compiledSql}\n) as dbt_internal_test`);
}

async function rawDuckdb(dir, queries, connections) {
  const instance = await DuckDBInstance.create(join(dir, 'target/bench.duckdb'), { threads: String(THREADS) });
  const pool = await Promise.all(Array.from({ length: connections }, () => instance.connect()));
  const started = performance.now();
  let next = 0;
  await Promise.all(pool.map(async (c) => {
    while (next < queries.length) await c.runAndReadAll(queries[next++]);
  }));
  const seconds = (performance.now() - started) / 1000;
  pool.forEach((c) => c.closeSync());
  instance.closeSync();
  return seconds;
}

async function rawPostgres(schema, queries, connections) {
  const pool = await Promise.all(Array.from({ length: connections }, async () => {
    const client = new pg.Client(PG);
    await client.connect();
    return client;
  }));
  const started = performance.now();
  let next = 0;
  await Promise.all(pool.map(async (c) => {
    while (next < queries.length) await c.query(queries[next++]);
  }));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pool.map((c) => c.end()));
  void schema;
  return seconds;
}

function taskSeconds(stdout) {
  return Number(/ in (\d+\.\d+)s$/m.exec(stdout)?.[1] ?? NaN);
}

for (const dialect of DIALECTS) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p6-'));
  const schema = `smelt_bench_p6_${process.pid}`;
  try {
    generate(dir, dialect, schema);
    smelt(dir, ['run', '-q']);
    smelt(dir, ['compile', '-q']);
    const queries = rawQueries(dir);
    const raw = (connections) => (dialect === 'duckdb' ? rawDuckdb(dir, queries, connections) : rawPostgres(schema, queries, connections));
    await raw(THREADS); // warm caches once
    const rawSerial = [];
    const rawParallel = [];
    const batched = { wall: [], task: [] };
    const unbatched = { wall: [], task: [] };
    const run = (args, into) => {
      // Exit code 0: every test passes or warns, so a failure to run would throw here.
      const { seconds, stdout } = smelt(dir, ['test', '--threads', String(THREADS), ...args]);
      into.wall.push(seconds);
      into.task.push(taskSeconds(stdout));
    };
    for (let r = 0; r < REPEAT; r++) {
      rawSerial.push(await raw(1));
      rawParallel.push(await raw(THREADS));
      run([], batched);
      run(['--no-batch'], unbatched);
    }
    const rs = median(rawSerial);
    const rp = median(rawParallel);
    const line = (label, m) => `  ${label.padEnd(34)} ${fmt(median(m.task)).padStart(8)} in the task (${(median(m.task) / rp).toFixed(2)}x raw at ${THREADS} connections, ${(median(m.task) / rs).toFixed(2)}x raw one by one), ${fmt(median(m.wall))} wall with start-up and compile`;
    console.log(`P6 ${dialect}: ${queries.length} generic tests on ${TABLES} tables of ${ROWS.toLocaleString('en-US')} rows, --threads ${THREADS}, median of ${REPEAT}`);
    console.log(`  ${'raw SQL, one query after the other'.padEnd(34)} ${fmt(rs).padStart(8)}`);
    console.log(`  ${`raw SQL on ${THREADS} connections`.padEnd(34)} ${fmt(rp).padStart(8)}`);
    console.log(line('smelt test --no-batch', unbatched));
    console.log(line(dialect === 'postgres' ? 'smelt test (shared scans)' : 'smelt test (default)', batched));
  } finally {
    if (dialect === 'postgres') {
      const client = new pg.Client(PG);
      await client.connect();
      const { rows } = await client.query(`select nspname from pg_namespace where nspname like '${schema}%'`);
      for (const row of rows) await client.query(`drop schema "${row.nspname}" cascade`);
      await client.end();
    }
    if (arg('keep', undefined) === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`  (kept ${dir})`);
  }
}
