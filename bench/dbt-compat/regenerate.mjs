#!/usr/bin/env node
// Regenerates what e2e/dbt-compat.test.ts compares smelt against: builds every dbt-format
// fixture project under e2e/fixtures/dbt/ with dbt itself, on DuckDB and (when it answers) on
// PostgreSQL, and writes each relation's rows and each node's result to
// e2e/fixtures/dbt/expected/<fixture>.<dialect>.json.
//
//   python3 -m venv .venv-dbt && .venv-dbt/bin/pip install "dbt-core==1.10.*" "dbt-duckdb==1.10.*" "dbt-postgres==1.10.*"
//   DBT=.venv-dbt/bin/dbt node bench/dbt-compat/regenerate.mjs [fixture ...]
//
// Without dbt it prints a notice and exits 0: the committed expectations stay as they are.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dumpRelations } from '../../e2e/support/dbt-rows.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(repo, 'e2e', 'fixtures', 'dbt');
const expectedDir = join(fixtures, 'expected');
const dbt = process.env.DBT ?? 'dbt';
/** The commands run on every fixture, by dbt here and by smelt in the test. */
const COMMANDS = [['seed'], ['build']];

const PG = {
  host: process.env.SMELT_TEST_PGHOST ?? '127.0.0.1',
  port: Number(process.env.SMELT_TEST_PGPORT ?? 5432),
  user: process.env.SMELT_TEST_PGUSER ?? 'postgres',
  database: process.env.SMELT_TEST_PGDATABASE ?? 'test',
};

const version = spawnSync(dbt, ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  console.log(`dbt-compat: '${dbt}' is not available; expectations not regenerated (set DBT=/path/to/dbt).`);
  process.exit(0);
}
const versions = {
  core: /installed:\s*(\S+)/.exec(version.stdout)?.[1],
  duckdb: /duckdb:\s*(\S+)/.exec(version.stdout)?.[1],
  postgres: /postgres:\s*(\S+)/.exec(version.stdout)?.[1],
};

async function postgresAvailable() {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    console.log(`dbt-compat: PostgreSQL is not reachable at ${PG.host}:${PG.port}; only DuckDB expectations are regenerated.`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchemas(prefix) {
  const client = new pg.Client(PG);
  await client.connect();
  try {
    const { rows } = await client.query(`select nspname from pg_namespace where nspname like '${prefix}%'`);
    for (const row of rows) await client.query(`drop schema if exists "${row.nspname}" cascade`);
  } finally {
    await client.end();
  }
}

async function build(name, dialect) {
  const dir = mkdtempSync(join(tmpdir(), `dbt-compat-${name}-`));
  cpSync(join(fixtures, name), dir, { recursive: true });
  const schema = `dbt_compat_${Math.random().toString(36).slice(2, 10)}`;
  const env = {
    ...process.env,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_DUCKDB_PATH: 'target/warehouse.duckdb',
    DBT_PG_SCHEMA: schema,
    PGHOST: PG.host,
    PGPORT: String(PG.port),
    PGUSER: PG.user,
    PGDATABASE: PG.database,
  };
  try {
    const results = {};
    for (const command of COMMANDS) {
      const run = spawnSync(dbt, [...command, '--profiles-dir', '.', '--target', dialect], { cwd: dir, env, encoding: 'utf8' });
      const runResults = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
      if (run.status !== 0 && run.status !== 1) throw new Error(`dbt ${command.join(' ')} failed on ${name}/${dialect}:\n${run.stdout}\n${run.stderr}`);
      const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
      for (const result of runResults.results) {
        const node = manifest.nodes[result.unique_id];
        results[node.name] = {
          resourceType: node.resource_type,
          status: result.status,
          ...(node.resource_type === 'test' ? { failures: result.failures } : {}),
          ...(node.resource_type === 'test' && node.alias !== node.name ? { alias: node.alias } : {}),
        };
      }
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
    const relations = {};
    for (const node of Object.values(manifest.nodes)) {
      if (!['model', 'seed', 'snapshot'].includes(node.resource_type) || node.config.materialized === 'ephemeral') continue;
      relations[node.name] = { schema: node.schema, identifier: node.alias, ...(node.resource_type === 'snapshot' ? { snapshot: true } : {}) };
    }
    const connection = dialect === 'duckdb' ? { type: 'duckdb', path: join(dir, 'target', 'warehouse.duckdb') } : { type: 'postgres', pg: PG };
    const rows = await dumpRelations(connection, relations);
    // Schemas as offsets from the target schema, so a run in another schema compares.
    const target = dialect === 'duckdb' ? 'main' : schema;
    for (const relation of Object.values(relations)) relation.schema = relation.schema.replace(target, '{target}');
    return { dbt: versions, commands: COMMANDS, results, relations: Object.fromEntries(Object.entries(relations).map(([key, r]) => [key, { ...r, ...rows[key] }])) };
  } finally {
    if (dialect === 'postgres') await dropSchemas(schema);
    rmSync(dir, { recursive: true, force: true });
  }
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : readdirSync(fixtures).filter((f) => existsSync(join(fixtures, f, 'dbt_project.yml')));
const dialects = ['duckdb', ...((await postgresAvailable()) ? ['postgres'] : [])];
for (const name of names) {
  for (const dialect of dialects) {
    const expected = await build(name, dialect);
    const path = join(expectedDir, `${name}.${dialect}.json`);
    writeFileSync(path, `${JSON.stringify(expected, null, 1)}\n`);
    console.log(`dbt-compat: ${name} on ${dialect}: ${Object.keys(expected.relations).length} relations, ${Object.keys(expected.results).length} results -> ${path.slice(repo.length + 1)}`);
  }
}
