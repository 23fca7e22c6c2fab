import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { expectCleanFailure, nodeLines } from './support/expect-output.js';
import { dialects, fixtures, PG, type DialectName, type FixtureProject } from './support/project.js';

/* compile, ls, run with selectors, debug, clean and init, through the CLI. */
const fixture = fixtures();

const SHOP_YML = `name: shop
version: "1.0"
models:
  bronze:
    +materialized: view
    +tags: [bronze]
  gold:
    +materialized: table
`;

const SHOP = {
  'models/bronze/stg_orders.sql': "select 1 as order_id, 'alice' as customer, 10 as amount\n",
  'models/bronze/stg_customers.sql': "select 'alice' as customer\n",
  'models/bronze/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n',
  'models/gold/fct_orders.sql': "select o.*, c.customer as c from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c using (customer)\n",
  'models/gold/daily.sql': "select count(*) as n from {{ ref('fct_orders') }}\n",
  'models/gold/standalone.sql': "{{ config(materialized='view', tags=['misc']) }}\nselect 42 as answer\n",
};

const DIALECTS = await dialects();
const names = (stdout: string) => stdout.trim().split('\n').filter(Boolean);

describe('smelt compile', () => {
  it('writes target/manifest.json with every node, and the compiled SQL', async () => {
    const project = fixture('duckdb', SHOP, SHOP_YML);
    const result = await project.cli('compile');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Compiled 5 models, 0 seeds, 1 sources');

    const manifest = JSON.parse(readFileSync(join(project.dir, 'target/manifest.json'), 'utf8'));
    expect(Object.keys(manifest.nodes).sort()).toEqual([
      'model.shop.daily', 'model.shop.fct_orders', 'model.shop.standalone', 'model.shop.stg_customers', 'model.shop.stg_orders',
    ]);
    const fct = manifest.nodes['model.shop.fct_orders'];
    expect(fct).toMatchObject({
      name: 'fct_orders',
      path: 'models/gold/fct_orders.sql',
      rawSql: SHOP['models/gold/fct_orders.sql'],
      config: { materialized: 'table' },
      dependsOn: { nodes: ['model.shop.stg_orders', 'model.shop.stg_customers'] },
    });
    expect(fct.compiledSql).toContain('from "main"."stg_orders" o join "main"."stg_customers" c');
    expect(fct.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.nodes['model.shop.stg_orders'].config.tags).toEqual(['bronze']);
    expect(manifest.sources['source.shop.raw.events']).toBeDefined();
    expect(manifest.childMap['model.shop.fct_orders']).toEqual(['model.shop.daily']);

    expect(readFileSync(join(project.dir, 'target/compiled/shop/models/gold/fct_orders.sql'), 'utf8')).toBe(fct.compiledSql);
    expect(existsSync(join(project.dir, 'target/compiled/shop/models/gold/daily.sql'))).toBe(true);
    // compile never opens the warehouse.
    expect(existsSync(join(project.dir, 'target/test.duckdb'))).toBe(false);
  });
});

describe('smelt ls and selection', () => {
  const project = fixture('duckdb', SHOP, SHOP_YML);
  const ls = async (...args: string[]) => {
    const result = await project.cli('ls', '--output', 'name', ...args);
    expect(result.code, result.stderr).toBe(0);
    return { names: names(result.stdout), stderr: result.stderr };
  };

  it('lists every node, sources included, in dependency order', async () => {
    const all = (await ls()).names;
    expect(all.sort()).toEqual(['daily', 'events', 'fct_orders', 'standalone', 'stg_customers', 'stg_orders']);
    const ordered = (await ls('--resource-type', 'model')).names;
    expect(ordered.indexOf('stg_orders')).toBeLessThan(ordered.indexOf('fct_orders'));
    expect(ordered.indexOf('fct_orders')).toBeLessThan(ordered.indexOf('daily'));
    const selectors = await project.cli('ls', '-s', 'fct_orders', 'source:raw.events');
    expect(names(selectors.stdout).sort()).toEqual(['shop.gold.fct_orders', 'source:shop.raw.events']);
  });

  it('selects by name, graph operators, tag, path and config, and excludes', async () => {
    expect((await ls('-s', '+fct_orders')).names.sort()).toEqual(['fct_orders', 'stg_customers', 'stg_orders']);
    expect((await ls('-s', 'stg_orders+')).names.sort()).toEqual(['daily', 'fct_orders', 'stg_orders']);
    expect((await ls('-s', 'tag:bronze')).names.sort()).toEqual(['stg_customers', 'stg_orders']);
    expect((await ls('-s', 'path:models/gold', '--exclude', 'daily', 'tag:misc')).names).toEqual(['fct_orders']);
    expect((await ls('-s', 'config.materialized:view', '--resource-type', 'model')).names.sort()).toEqual(['standalone', 'stg_customers', 'stg_orders']);
    expect((await ls('-s', 'stg_orders stg_customers')).names.sort()).toEqual(['stg_customers', 'stg_orders']);
  });

  it('prints paths and JSON', async () => {
    const paths = await project.cli('ls', '-s', 'daily', '--output', 'path');
    expect(names(paths.stdout)).toEqual(['models/gold/daily.sql']);
    const json = await project.cli('ls', '-s', 'daily', '--output', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ unique_id: 'model.shop.daily', resource_type: 'model', config: { materialized: 'table' } });
  });

  it('warns about a selector that matches nothing', async () => {
    const result = await ls('-s', 'no_such_model');
    expect(result.names).toEqual([]);
    expect(result.stderr).toContain("Nothing matches the selector 'no_such_model'");
  });
});

describe.each(DIALECTS)('smelt run with selectors on %s', (dialect) => {
  it('builds only what -s picks and --exclude leaves', async () => {
    const project = fixture(dialect, SHOP, SHOP_YML);
    const first = await project.cli('run', '-s', '+fct_orders', '--exclude', 'stg_customers');
    // fct_orders reads stg_customers, which is not built yet.
    expect(first.code).toBe(1);
    expect(nodeLines(first.stdout).map((l) => l.name).sort()).toEqual(['fct_orders', 'stg_orders']);

    const second = await project.cli('run', '-s', 'tag:bronze');
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(nodeLines(second.stdout).map((l) => l.name).sort()).toEqual(['stg_customers', 'stg_orders']);

    const third = await project.cli('run', '-s', 'stg_orders+', '--exclude', 'stg_orders');
    expect(third.code, third.stderr + third.stdout).toBe(0);
    expect(nodeLines(third.stdout).map((l) => [l.index, l.total, l.name])).toEqual([[1, 2, 'fct_orders'], [2, 2, 'daily']]);
    expect(await project.relationType(project.schema, 'standalone')).toBeUndefined();
    expect(await project.relationType(project.schema, 'daily')).toBe('table');
  });

  it('does nothing, successfully, when nothing is selected', async () => {
    const project = fixture(dialect, SHOP, SHOP_YML);
    const result = await project.cli('run', '-s', 'tag:nothing');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to do');
    expect(result.stderr).toContain("Nothing matches the selector 'tag:nothing'");
  });
});

describe.each(DIALECTS)('smelt debug on %s', (dialect) => {
  it('prints the config and checks the connection, never the password', async () => {
    const project = fixture(dialect, { 'models/a.sql': 'select 1\n' });
    const secret = 'hunter2-very-secret';
    // PostgreSQL on the test server trusts local connections, so any password logs in.
    project.write({
      'project.yml': `name: fixture\ntarget: dev\ntargets:\n  dev:\n${targetBlock(project, dialect)}    threads: 1\n  other:\n    type: postgres\n    host: "{{ env_var('SMELT_TEST_HOST', '${PG.host}') }}"\n    port: ${PG.port}\n    user: ${PG.user}\n    password: "{{ env_var('SMELT_TEST_PASSWORD') }}"\n    database: ${PG.database}\n    schema: ${project.schema}\n`,
    });
    const debugIn = (...args: string[]) => runWithEnv(project, { SMELT_TEST_PASSWORD: secret }, 'debug', ...args);
    const result = await debugIn();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('target:   dev');
    expect(result.stdout).toMatch(/connection: OK/);
    expect(result.stdout + result.stderr).not.toContain(secret);

    if (dialect === 'postgres') {
      const other = await debugIn('--target', 'other');
      expect(other.code, other.stdout + other.stderr).toBe(0);
      expect(other.stdout).toContain('target:   other');
      expect(other.stdout).toContain('password: ****');
      expect(other.stdout + other.stderr).not.toContain(secret);
    }
  });

  it('checks the connection even when a model is broken, and says so, exit 2', async () => {
    const project = fixture(dialect, { 'models/a.sql': "select * from {{ ref('nope') }}\n" });
    const result = await project.cli('debug');
    expectCleanFailure(result, 2);
    expect(result.stdout).toMatch(/nodes: +FAILED +1 error/);
    expect(result.stdout).toMatch(/connection: OK/);
  });

  it('reports a connection that fails, with a hint, exit 2', async () => {
    const project = fixture(dialect, { 'models/a.sql': 'select 1\n' });
    const target = dialect === 'postgres'
      ? `    type: postgres\n    host: 127.0.0.1\n    port: 1\n    user: nobody\n    password: s3cr3t-pw\n    connect_timeout: 2\n`
      : `    type: duckdb\n    path: models/a.sql/not-a-folder/x.duckdb\n`;
    project.write({ 'project.yml': `name: fixture\ntargets:\n  dev:\n${target}` });
    const result = await project.cli('debug');
    expectCleanFailure(result, 2);
    expect(result.stdout).toContain('connection: FAILED');
    expect(result.stderr).toContain('hint:');
    expect(result.stdout + result.stderr).not.toContain('s3cr3t-pw');
  });
});

describe('smelt clean', () => {
  it('removes target/ but keeps the DuckDB warehouse unless --all', async () => {
    const project = fixture('duckdb', { 'models/a.sql': "{{ config(materialized='table') }}\nselect 1 as id\n" });
    expect((await project.cli('run')).code).toBe(0);
    expect(existsSync(join(project.dir, 'target/manifest.json'))).toBe(true);

    const clean = await project.cli('clean');
    expect(clean.code, clean.stderr).toBe(0);
    expect(readdirSync(join(project.dir, 'target')).filter((f) => !f.endsWith('.wal'))).toEqual(['test.duckdb']);
    expect(await project.query('select id from main.a')).toEqual([{ id: 1 }]);

    const all = await project.cli('clean', '--all');
    expect(all.code, all.stderr).toBe(0);
    expect(existsSync(join(project.dir, 'target'))).toBe(false);
  });

  it('refuses to delete the project itself or anything outside it', async () => {
    const project = fixture('duckdb', { 'models/a.sql': 'select 1\n' }, 'name: fixture\nclean-targets: [target, ".."]\n');
    expect((await project.cli('compile')).code).toBe(0);
    const result = await project.cli('clean');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("clean-targets entry '..'");
    expect(existsSync(join(project.dir, 'models/a.sql'))).toBe(true);
    expect(existsSync(join(project.dir, 'target/manifest.json'))).toBe(true);
  });
});

describe('smelt init', () => {
  it('scaffolds a project that runs on DuckDB', async () => {
    const holder = fixture('duckdb', {});
    const created = await holder.cli('init', 'my_shop');
    expect(created.code, created.stderr).toBe(0);
    const dir = join(holder.dir, 'my_shop');
    const run = await cliIn(dir, {}, 'run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(nodeLines(run.stdout).map((l) => [l.name, l.status])).toEqual([['stg_orders', 'OK'], ['customer_revenue', 'OK']]);
    expect(existsSync(join(dir, 'target/my_shop.duckdb'))).toBe(true);

    const again = await holder.cli('init', 'my_shop');
    expectCleanFailure(again, 2);
    expect(again.stderr).toContain('already exists');
    expectCleanFailure(await holder.cli('init', 'not-valid'), 2);
  });

  it.runIf(DIALECTS.includes('postgres'))('scaffolds a project that runs on PostgreSQL with --target postgres', async () => {
    const holder = fixture('postgres', {});
    expect((await holder.cli('init', 'pg_shop')).code).toBe(0);
    const dir = join(holder.dir, 'pg_shop');
    // A schema of this fixture's own, so that cleanup drops it (and its _marts sibling).
    const yml = readFileSync(join(dir, 'project.yml'), 'utf8');
    writeFileSync(join(dir, 'project.yml'), yml.replace('schema: pg_shop', `schema: ${holder.schema}`));
    const env = { PGDATABASE: PG.database, PGHOST: PG.host, PGPORT: String(PG.port), PGUSER: PG.user };
    const run = await cliIn(dir, env, 'run', '--target', 'postgres');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('on postgres (postgres)');
    expect(await holder.query(`select customer, revenue_cents from "${holder.schema}_marts".customer_revenue order by customer`)).toEqual([
      { customer: 'alice', revenue_cents: 13275 },
      { customer: 'bob', revenue_cents: 3500 },
    ]);
  });
});

function targetBlock(project: FixtureProject, dialect: DialectName): string {
  if (dialect === 'duckdb') return '    type: duckdb\n    path: target/test.duckdb\n';
  return `    type: postgres\n    host: ${PG.host}\n    port: ${PG.port}\n    user: ${PG.user}\n    password: "{{ env_var('SMELT_TEST_PASSWORD') }}"\n    database: ${PG.database}\n    schema: ${project.schema}\n`;
}

function runWithEnv(project: FixtureProject, env: Record<string, string>, ...args: string[]) {
  return cliIn(project.dir, env, ...args);
}

async function cliIn(cwd: string, env: Record<string, string>, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    isTty: false,
  });
  return { code, stdout, stderr };
}
