// P2: run overhead. A generated DAG of cheap views (default 1,000): `smelt run` against the same
// statements sent directly through one connection of the driver (@duckdb/node-api, pg), in
// dependency order, in this process. Two cases, each on its own warehouse state:
//   first build: nothing exists yet. Both sides send `create view ... as (...)` per model, the
//                statement smelt sends for a first build (see target/run/).
//   rebuild:     every relation exists. Both sides send `create or replace view ... as (...)`
//                per model: one atomic statement, the least a rebuild can send, and what smelt
//                sends for an existing view (see core/materializations/README.md).
// Both sides open the database (DuckDB file with `--threads` threads, as smelt opens it /
// PostgreSQL connection) and close it inside their time. smelt's figure is the run as it reports it (run_results.json elapsedTime: everything
// from the task's start to the last node, without process start-up and compile); the whole
// command is printed beside it. Runs alternate smelt and direct; the ratio is the median of the
// paired ratios. A separate `--debug` run (not timed) counts the statements smelt sent per model.
// Usage: npm run build && node bench/run-overhead/run.mjs [--models 1000] [--threads 1] [--repeat 5] [--dialects duckdb,postgres]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { generateProject } from '../lib/gen-project.mjs';
import { SMELT, arg, fmt, median, smelt, targetsYaml } from '../lib/util.mjs';

const MODELS = Number(arg('models', 1000));
const REPEAT = Number(arg('repeat', 5));
const DIALECTS = arg('dialects', 'duckdb,postgres').split(',');
const THREADS = arg('threads', '1');
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

/** Models in dependency order (parents first), as the direct loop sends them. */
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

/** The statements of one case: exactly the text smelt's dialect generates (core/adapters/dialect.ts). */
function statements(nodes, replace) {
  return nodes.map((n) => `create ${replace ? 'or replace ' : ''}view "${n.relation.schema}"."${n.relation.identifier}" as (\n${n.compiledSql.replace(/;\s*$/, '').trimEnd()}\n)`);
}

/** Sends the statements one after the other on one connection; seconds from opening to closing. */
async function direct(dialect, path, sqls) {
  const started = performance.now();
  if (dialect === 'duckdb') {
    // The same DuckDB settings as smelt's: its instance runs `--threads` threads.
    const instance = await DuckDBInstance.create(path, { threads: THREADS });
    const connection = await instance.connect();
    for (const sql of sqls) await connection.run(sql);
    connection.closeSync();
    instance.closeSync();
  } else {
    const client = new pg.Client(PG);
    await client.connect();
    for (const sql of sqls) await client.query(sql);
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

async function pgExec(sql) {
  const client = new pg.Client(PG);
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

/** Empties both warehouses: smelt's (schema / file) and the direct loop's. */
async function reset(dialect, dir, schema) {
  if (dialect === 'duckdb') {
    for (const file of ['bench.duckdb', 'bench.duckdb.wal', 'direct.duckdb', 'direct.duckdb.wal']) rmSync(join(dir, 'target', file), { force: true });
    return;
  }
  await pgExec(`drop schema if exists ${schema} cascade; drop schema if exists ${schema}_direct cascade; create schema ${schema}_direct`);
}

function smeltRun(dir) {
  const whole = smelt(dir, ['run', '-q', '--threads', THREADS]).seconds;
  const run = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')).elapsedTime;
  return { whole, run };
}

/** Statements smelt sends per model in a `--debug` run (begin/commit included). */
function countStatements(dir) {
  const result = spawnSync(process.execPath, [SMELT, 'run', '--debug', '--threads', THREADS], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(result.stderr);
  return (result.stderr.match(/^-- (sql|begin|commit)\b/gm) ?? []).length / MODELS;
}

for (const dialect of DIALECTS) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p2-'));
  const schema = `bench_p2_${process.pid}`;
  generateProject(dir, { models: MODELS, targets: targetsYaml(dialect, schema) });
  smelt(dir, ['compile', '-q']);
  let nodes = order(JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8')));
  if (dialect === 'postgres') {
    // The direct loop builds the same views in a schema of its own.
    nodes = nodes.map((n) => ({ ...n, relation: { ...n.relation, schema: `${schema}_direct` }, compiledSql: n.compiledSql.replaceAll(`"${schema}".`, `"${schema}_direct".`) }));
  }
  const directPath = dialect === 'duckdb' ? join(dir, 'target/direct.duckdb') : undefined;
  const cases = { first: { smelt: [], whole: [], direct: [], ratio: [] }, rebuild: { smelt: [], whole: [], direct: [], ratio: [] } };
  const round = async (name, smeltFirst) => {
    const sqls = statements(nodes, name === 'rebuild');
    let ours;
    let theirs;
    if (smeltFirst) {
      ours = smeltRun(dir);
      theirs = await direct(dialect, directPath, sqls);
    } else {
      theirs = await direct(dialect, directPath, sqls);
      ours = smeltRun(dir);
    }
    const c = cases[name];
    c.smelt.push(ours.run);
    c.whole.push(ours.whole);
    c.direct.push(theirs);
    c.ratio.push(ours.run / theirs);
  };
  for (let r = 0; r < REPEAT; r++) {
    await reset(dialect, dir, schema);
    await round('first', r % 2 === 0);
    await round('rebuild', r % 2 === 1);
  }
  await reset(dialect, dir, schema);
  const perModel = { first: countStatements(dir), rebuild: countStatements(dir) };
  await reset(dialect, dir, schema);
  if (dialect === 'postgres') await pgExec(`drop schema if exists ${schema}_direct cascade`);
  for (const [name, c] of Object.entries(cases)) {
    console.log(
      `P2 ${dialect} ${name.padEnd(7)}: ${MODELS} views, --threads ${THREADS}: smelt run ${fmt(median(c.smelt))} (whole command ${fmt(median(c.whole))}), ` +
        `direct ${fmt(median(c.direct))}: ratio ${median(c.ratio).toFixed(2)}x (runs ${c.ratio.map((x) => x.toFixed(2)).join(' ')}); ${perModel[name].toFixed(2)} statements per model`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
