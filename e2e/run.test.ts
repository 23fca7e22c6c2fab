import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeLines } from './support/expect-output.js';
import { dialects, fixtures } from './support/project.js';

/*
 * `smelt run` end to end, on every dialect: order and output, each materialization, custom
 * schemas, atomic rebuilds, dependent views, threads, failures and run_results.json.
 */
const fixture = fixtures();

const MEDALLION_YML = `name: shop
version: "1.0"
vars:
  min_amount: 10
models:
  bronze:
    +materialized: view
  gold:
    +materialized: table
    +schema: gold
`;

const MEDALLION = {
  'models/bronze/stg_orders.sql': `select * from (values (1, 'alice', 120), (2, 'bob', 5), (3, 'alice', 30)) as t(order_id, customer, amount)\n`,
  'models/bronze/stg_customers.sql': `select distinct customer from {{ ref('stg_orders') }}\n`,
  'models/gold/customer_revenue.sql': `select c.customer, cast(sum(o.amount) as integer) as revenue
from {{ ref('stg_customers') }} c join {{ ref('stg_orders') }} o on o.customer = c.customer
where o.amount >= {{ var('min_amount') }}
group by c.customer
`,
};

describe.each(await dialects())('smelt run on %s', (dialect) => {
  it('builds every model in dependency order, one line per model and a summary', async () => {
    const project = fixture(dialect, MEDALLION, MEDALLION_YML);
    const result = await project.cli('run');
    expect(result.code, result.stderr + result.stdout).toBe(0);

    const lines = nodeLines(result.stdout);
    expect(lines.map((l) => [l.index, l.total, l.status, l.materialization, l.name])).toEqual([
      [1, 3, 'OK', 'view', 'stg_orders'],
      [2, 3, 'OK', 'view', 'stg_customers'],
      [3, 3, 'OK', 'table', 'customer_revenue'],
    ]);
    expect(lines[2]!.rows).toBe(1);
    expect(lines[0]!.rows).toBeUndefined();
    for (const line of lines) expect(line.seconds).toBeGreaterThanOrEqual(0);
    expect(result.stdout).toMatch(/^Done\. 3 ok in \d+\.\d\ds$/m);

    expect(await project.relationType(project.schema, 'stg_orders')).toBe('view');
    expect(await project.relationType(project.schemaFor('gold'), 'customer_revenue')).toBe('table');
    expect(await project.query(`select customer, revenue from "${project.schemaFor('gold')}".customer_revenue`)).toEqual([{ customer: 'alice', revenue: 150 }]);

    // A second run replaces everything in place.
    const again = await project.cli('run', '--vars', '{min_amount: 0}');
    expect(again.code, again.stderr).toBe(0);
    expect(await project.query(`select customer, revenue from "${project.schemaFor('gold')}".customer_revenue order by customer`)).toEqual([
      { customer: 'alice', revenue: 150 },
      { customer: 'bob', revenue: 5 },
    ]);
  });

  it('writes run_results.json with status, timing and rows for every node, and target/run SQL', async () => {
    const project = fixture(dialect, MEDALLION, MEDALLION_YML);
    expect((await project.cli('run')).code).toBe(0);
    const runResults = JSON.parse(readFileSync(join(project.dir, 'target/run_results.json'), 'utf8'));
    expect(runResults.success).toBe(true);
    expect(runResults.elapsedTime).toBeGreaterThan(0);
    const byName = Object.fromEntries(runResults.results.map((r: { name: string }) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['customer_revenue', 'stg_customers', 'stg_orders']);
    expect(byName.customer_revenue).toMatchObject({ uniqueId: 'model.shop.customer_revenue', status: 'success', materialization: 'table', rowsAffected: 1 });
    for (const r of runResults.results) {
      expect(r.executionTime).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.completedAt)).toBeGreaterThanOrEqual(Date.parse(r.startedAt));
    }
    const runSql = readFileSync(join(project.dir, 'target/run/shop/models/gold/customer_revenue.sql'), 'utf8');
    expect(runSql).toContain('create table');
    // A rebuild goes through a temporary table renamed into place.
    expect((await project.cli('run')).code).toBe(0);
    expect(readFileSync(join(project.dir, 'target/run/shop/models/gold/customer_revenue.sql'), 'utf8')).toContain('rename to "customer_revenue"');
  });

  it('inlines ephemeral models, ephemeral-of-ephemeral, into a model with its own WITH', async () => {
    const project = fixture(dialect, {
      'models/e_base.sql': `{{ config(materialized='ephemeral') }}\nselect 1 as id, 10 as amount union all select 2, 20\n`,
      'models/e_doubled.sql': `{{ config(materialized='ephemeral') }}\nselect id, amount * 2 as amount from {{ ref('e_base') }}\n`,
      'models/report.sql': `{{ config(materialized='table') }}
-- a model that starts with its own CTEs
with doubled as (
  select * from {{ ref('e_doubled') }}
), base as (
  select * from {{ ref('e_base') }}
)
select b.id, cast(b.amount + d.amount as integer) as total from base b join doubled d using (id)
`,
    });
    const result = await project.cli('run');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    // Only the table is built and reported; the ephemerals exist only inside it.
    expect(nodeLines(result.stdout).map((l) => l.name)).toEqual(['report']);
    expect(await project.query(`select id, total from "${project.schema}".report order by id`)).toEqual([{ id: 1, total: 30 }, { id: 2, total: 60 }]);
    expect(await project.relationType(project.schema, 'e_base')).toBeUndefined();
    expect(await project.relationType(project.schema, 'e_doubled')).toBeUndefined();
  });

  it('builds custom schemas as <target>_<custom>, or as a generate_schema_name macro says', async () => {
    const files = {
      'models/gold/revenue.sql': `{{ config(materialized='table', schema='finance') }}\nselect 1 as x\n`,
      'models/plain.sql': `select 1 as x\n`,
    };
    const project = fixture(dialect, files);
    expect((await project.cli('run')).code).toBe(0);
    expect(await project.relationType(project.schemaFor('finance'), 'revenue')).toBe('table');
    expect(await project.relationType(project.schema, 'plain')).toBe('view');

    // The user's macro: the custom schema as is, prefixed only by this fixture's unique schema
    // (so PostgreSQL runs stay isolated from each other).
    const custom = fixture(dialect, {
      ...files,
      'macros/generate_schema_name.sql': `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}__{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
`,
    });
    const result = await custom.cli('run');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(await custom.relationType(`${custom.schema}__finance`, 'revenue')).toBe('table');
    expect(await custom.relationType(custom.schema, 'plain')).toBe('view');
  });

  it('keeps the previous table and its rows when a rebuild fails', async () => {
    const project = fixture(dialect, {
      'models/facts.sql': `{{ config(materialized='table') }}\nselect 1 as id union all select 2\n`,
      'models/summary.sql': `select cast(count(*) as integer) as n from {{ ref('facts') }}\n`,
    });
    expect((await project.cli('run')).code).toBe(0);

    project.write({ 'models/facts.sql': `{{ config(materialized='table') }}\nselect 1 as id union all select no_such_column\n` });
    const failed = await project.cli('run');
    expect(failed.code).toBe(1);
    expect(nodeLines(failed.stdout).map((l) => [l.name, l.status])).toEqual([['facts', 'ERROR'], ['summary', 'SKIP']]);

    expect(await project.query(`select id from "${project.schema}".facts order by id`)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await project.query(`select n from "${project.schema}".summary`)).toEqual([{ n: 2 }]);
    const leftovers = await project.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = '${project.schema}' and table_name like '%smelt_tmp%'`,
    );
    expect(leftovers).toEqual([]);
  });

  it('keeps views that depend on a rebuilt table or view, also when only the upstream is selected', async () => {
    const project = fixture(dialect, {
      'models/base_table.sql': `{{ config(materialized='table') }}\nselect 1 as id union all select 2\n`,
      'models/base_view.sql': `select id * 10 as id from {{ ref('base_table') }}\n`,
      'models/on_table.sql': `select cast(count(*) as integer) as n from {{ ref('base_table') }}\n`,
      'models/on_view.sql': `select cast(max(id) as integer) as top from {{ ref('base_view') }}\n`,
      // In another schema: its definition must come back schema-qualified.
      'models/on_on_view.sql': `{{ config(schema='reporting') }}\nselect top + 1 as next from {{ ref('on_view') }}\n`,
    });
    expect((await project.cli('run')).code).toBe(0);

    // A full rebuild: each dependent view is dropped with its upstream and built again.
    expect((await project.cli('run')).code).toBe(0);

    // Only the upstream: the views downstream are not selected and must survive on their own.
    project.write({ 'models/base_table.sql': `{{ config(materialized='table') }}\nselect 1 as id union all select 2 union all select 3\n` });
    const onlyTable = await project.cli('run', '-s', 'base_table');
    expect(onlyTable.code, onlyTable.stderr + onlyTable.stdout).toBe(0);
    expect(nodeLines(onlyTable.stdout).map((l) => l.name)).toEqual(['base_table']);
    expect(onlyTable.stderr).not.toContain('could not be recreated');
    const onlyView = await project.cli('run', '-s', 'base_view');
    expect(onlyView.code, onlyView.stderr + onlyView.stdout).toBe(0);

    for (const name of ['base_view', 'on_table', 'on_view']) {
      expect(await project.relationType(project.schema, name), name).toBe('view');
    }
    expect(await project.relationType(project.schemaFor('reporting'), 'on_on_view')).toBe('view');
    expect(await project.query(`select n from "${project.schema}".on_table`)).toEqual([{ n: 3 }]);
    expect(await project.query(`select next from "${project.schemaFor('reporting')}".on_on_view`)).toEqual([{ next: 31 }]);
  });

  it('replaces a view in place, and drops and recreates it where its columns change type', async () => {
    const project = fixture(dialect, {
      'models/base_view.sql': `select 1 as id\n`,
      'models/on_view.sql': `select cast(max(id) as integer) as top from {{ ref('base_view') }}\n`,
    });
    expect((await project.cli('run')).code).toBe(0);
    // A column added at the end: CREATE OR REPLACE VIEW, the view on it stays as it is.
    project.write({ 'models/base_view.sql': `select 2 as id, 'x' as extra\n` });
    const added = await project.cli('run', '--debug', '-s', 'base_view');
    expect(added.code, added.stderr + added.stdout).toBe(0);
    expect(added.stderr).toMatch(/create or replace view/);
    expect(added.stderr).not.toMatch(/drop view/);
    // A column changes type: PostgreSQL refuses the replace, so the view is dropped and created
    // in one transaction and the view on it restored.
    project.write({ 'models/base_view.sql': `select cast(3 as bigint) as id\n` });
    const retyped = await project.cli('run', '-s', 'base_view');
    expect(retyped.code, retyped.stderr + retyped.stdout).toBe(0);
    expect(retyped.stderr).not.toContain('could not be recreated');
    expect(await project.relationType(project.schema, 'on_view')).toBe('view');
    expect(await project.query(`select top from "${project.schema}".on_view`)).toEqual([{ top: 3 }]);
    // A broken definition keeps the old view.
    project.write({ 'models/base_view.sql': `select id from no_such_table\n` });
    expect((await project.cli('run', '-s', 'base_view')).code).toBe(1);
    expect(await project.query(`select top from "${project.schema}".on_view`)).toEqual([{ top: 3 }]);
  });

  it('reads sources declared in YAML', async () => {
    const project = fixture(dialect, {
      'models/loader/landing_events.sql': `{{ config(materialized='table') }}\nselect 1 as id, 'click' as kind union all select 2, 'view'\n`,
      'models/clicks.sql': `select id from {{ source('app', 'events') }} where kind = 'click'\n`,
    });
    project.write({ 'models/sources.yml': `version: 2\nsources:\n  - name: app\n    schema: "${project.schema}"\n    tables:\n      - name: events\n        identifier: landing_events\n` });
    expect((await project.cli('run', '-s', 'landing_events')).code).toBe(0);
    const result = await project.cli('run', '-s', 'clicks');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(await project.query(`select id from "${project.schema}".clicks`)).toEqual([{ id: 1 }]);
  });

  it('rebuilds, in parallel, tables whose dependent views overlap', async () => {
    // Each table's swap drops (with CASCADE on PostgreSQL) the view that joins them all; two
    // swaps doing that at once must take turns instead of deadlocking.
    const files: Record<string, string> = {};
    const names = ['t1', 't2', 't3', 't4', 't5', 't6'];
    for (const name of names) {
      files[`models/${name}.sql`] = `{{ config(materialized='table') }}\nselect 1 as id, '${name}' as label\n`;
      files[`models/v_${name}.sql`] = `select * from {{ ref('${name}') }}\n`;
    }
    files['models/joined.sql'] = `select cast(count(*) as integer) as n from {{ ref('v_t1') }}\n${names.slice(1).map((n) => `join {{ ref('v_${n}') }} using (id)`).join('\n')}\n`;
    const project = fixture(dialect, files);
    expect((await project.cli('run')).code).toBe(0);
    for (let round = 0; round < 2; round++) {
      const result = await project.cli('run', '--threads', '6', '-s', names.join(' '));
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stderr).not.toContain('could not be recreated');
    }
    expect(await project.query(`select n from "${project.schema}".joined`)).toEqual([{ n: 1 }]);
  });

  it('replaces a view with a table and a table with a view', async () => {
    const project = fixture(dialect, { 'models/flip.sql': `{{ config(materialized='view') }}\nselect 1 as id\n` });
    expect((await project.cli('run')).code).toBe(0);
    expect(await project.relationType(project.schema, 'flip')).toBe('view');
    project.write({ 'models/flip.sql': `{{ config(materialized='table') }}\nselect 1 as id\n` });
    expect((await project.cli('run')).code).toBe(0);
    expect(await project.relationType(project.schema, 'flip')).toBe('table');
    project.write({ 'models/flip.sql': `{{ config(materialized='view') }}\nselect 2 as id\n` });
    expect((await project.cli('run')).code).toBe(0);
    expect(await project.relationType(project.schema, 'flip')).toBe('view');
    expect(await project.query(`select id from "${project.schema}".flip`)).toEqual([{ id: 2 }]);
  });

  it('skips only what is downstream of a failure, goes on with the rest and exits 1', async () => {
    const project = fixture(dialect, {
      'models/good.sql': `{{ config(materialized='table') }}\nselect 1 as id\n`,
      'models/after_good.sql': `select * from {{ ref('good') }}\n`,
      'models/broken.sql': `{{ config(materialized='table') }}\nselect 1 as id\nfrom no_such_table_anywhere\n`,
      'models/after_broken.sql': `select * from {{ ref('broken') }}\n`,
      'models/after_after_broken.sql': `select * from {{ ref('after_broken') }}\n`,
    });
    const result = await project.cli('run', '--threads', '2');
    expect(result.code).toBe(1);
    const status = Object.fromEntries(nodeLines(result.stdout).map((l) => [l.name, l.status]));
    expect(status).toEqual({ good: 'OK', after_good: 'OK', broken: 'ERROR', after_broken: 'SKIP', after_after_broken: 'SKIP' });
    expect(result.stdout).toMatch(/Finished with errors\. 2 ok, 1 error, 2 skipped in/);
    expect(result.stdout).toContain('Error in model broken');
    expect(result.stdout).toContain('no_such_table_anywhere');

    const runResults = JSON.parse(readFileSync(join(project.dir, 'target/run_results.json'), 'utf8'));
    expect(runResults.success).toBe(false);
    const byName = Object.fromEntries(runResults.results.map((r: { name: string }) => [r.name, r]));
    expect(byName.broken.status).toBe('error');
    expect(byName.broken.message).toMatch(/no_such_table_anywhere/);
    expect(byName.after_broken).toMatchObject({ status: 'skipped', message: 'skipped because broken failed' });
    expect(byName.after_after_broken.status).toBe('skipped');
    expect(await project.relationType(project.schema, 'after_good')).toBe('view');
  });

  it('builds independent models at the same time with --threads, one at a time with --threads 1', async () => {
    const slow = dialect === 'postgres' ? 'select pg_sleep(0.2) is not null as done' : 'select count(*) > 0 as done from range(3000000) t(i) where i % 7 = 3';
    const files: Record<string, string> = {};
    for (const name of ['p1', 'p2', 'p3', 'p4']) files[`models/${name}.sql`] = `{{ config(materialized='table') }}\n${slow}\n`;
    const project = fixture(dialect, files);

    const spans = async (threads: string) => {
      const result = await project.cli('run', '--threads', threads);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stdout).toContain(`with ${threads} thread`);
      const { results } = JSON.parse(readFileSync(join(project.dir, 'target/run_results.json'), 'utf8')) as { results: { startedAt: string; completedAt: string }[] };
      return results.map((r) => [Date.parse(r.startedAt), Date.parse(r.completedAt)] as const).sort((a, b) => a[0] - b[0]);
    };

    const parallel = await spans('4');
    // Every model started before the first one finished.
    const firstDone = Math.min(...parallel.map(([, end]) => end));
    expect(parallel.every(([start]) => start <= firstDone)).toBe(true);

    const serial = await spans('1');
    for (let i = 1; i < serial.length; i++) expect(serial[i]![0]).toBeGreaterThanOrEqual(serial[i - 1]![1]);
  });
});

describe('smelt run on duckdb', () => {
  it('writes the warehouse where the target says', async () => {
    const project = fixture('duckdb', { 'models/a.sql': 'select 1 as id\n' });
    expect((await project.cli('run')).code).toBe(0);
    expect(existsSync(join(project.dir, 'target/test.duckdb'))).toBe(true);
  });
});
