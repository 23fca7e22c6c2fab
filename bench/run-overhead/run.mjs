// P2: run overhead. A generated 1,000-model DAG of cheap views: `smelt run` against executing
// the same compiled SQL directly through one connection in dependency order (DuckDB via
// @duckdb/node-api, PostgreSQL via pg). Both sides start from an empty warehouse each round.
// Usage: npm run build && node bench/run-overhead/run.mjs [--models 1000] [--repeat 3] [--dialects duckdb,postgres]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { generateProject } from '../lib/gen-project.mjs';
import { arg, fmt, median, smelt, targetsYaml } from '../lib/util.mjs';

const MODELS = Number(arg('models', 1000));
const REPEAT = Number(arg('repeat', 3));
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const THREADS = arg('threads', '1');

function order(manifest) {
  const parents = manifest.parentMap;
  const done = new Set();
  const out = [];
  const visit = (id) => {
    if (done.has(id)) return;
    done.add(id);
    for (const p of parents[id] ?? []) visit(p);
    if (manifest.nodes[id]?.resourceType === 'model') out.push(manifest.nodes[id]);
  };
  Object.keys(manifest.nodes).sort().forEach(visit);
  return out;
}

async function direct(dialect, dir, schema, nodes) {
  const statements = nodes.map((n) => `create view "${n.relation.schema}"."${n.relation.identifier}" as (\n${n.compiledSql}\n)`);
  if (dialect === 'duckdb') {
    const path = join(dir, 'target/direct.duckdb');
    rmSync(path, { force: true });
    const started = performance.now();
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    for (const sql of statements) await connection.run(sql);
    connection.closeSync();
    instance.closeSync();
    return (performance.now() - started) / 1000;
  }
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const started = performance.now();
  for (const sql of statements) await client.query(sql);
  const seconds = (performance.now() - started) / 1000;
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
  return seconds;
}

async function reset(dialect, dir, schema) {
  if (dialect === 'duckdb') {
    rmSync(join(dir, 'target/bench.duckdb'), { force: true });
    rmSync(join(dir, 'target/bench.duckdb.wal'), { force: true });
    return;
  }
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

for (const dialect of DIALECTS) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p2-'));
  const schema = `bench_p2_${process.pid}`;
  generateProject(dir, { models: MODELS, targets: targetsYaml(dialect, schema) });
  smelt(dir, ['compile', '-q']);
  const nodes = order(JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8')));
  const ours = [];
  const raw = [];
  const nodeTime = [];
  for (let r = 0; r < REPEAT; r++) {
    await reset(dialect, dir, schema);
    ours.push(smelt(dir, ['run', '-q', '--threads', THREADS]).seconds);
    nodeTime.push(JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')).elapsedTime);
    raw.push(await direct(dialect, dir, `${schema}_direct`, dialect === 'duckdb' ? nodes : nodes.map((n) => ({ ...n, relation: { ...n.relation, schema: `${schema}_direct` }, compiledSql: n.compiledSql.replaceAll(`"${schema}".`, `"${schema}_direct".`) }))));
  }
  await reset(dialect, dir, schema);
  const o = median(ours);
  const d = median(raw);
  console.log(`P2 ${dialect}: ${MODELS} views, smelt run --threads ${THREADS} ${fmt(o)} (whole command; ${fmt(median(nodeTime))} inside the run), direct ${fmt(d)}: ratio ${(o / d).toFixed(2)}x whole, ${(median(nodeTime) / d).toFixed(2)}x run only`);
  rmSync(dir, { recursive: true, force: true });
}
