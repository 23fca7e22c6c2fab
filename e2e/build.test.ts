import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, FixtureProject, type DialectName } from './support/project.js';
import { resultLines, runResults, statuses } from './support/test-output.js';

/*
 * `smelt build` end to end on every dialect: seeds, models and tests in one DAG, each node's
 * tests right after it, a failing error-severity test (or unit test) skipping what is built on
 * its model, warnings skipping nothing. Model contracts are checked before a model is swapped in.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function fixture(dialect: DialectName, files: Record<string, string>): FixtureProject {
  const project = new FixtureProject(dialect, files, { projectYml: 'name: shop\nversion: "1.0"\nmodels:\n  +materialized: table\n' });
  projects.push(project);
  return project;
}

const SHOP = {
  'seeds/raw_customers.csv': 'customer_id,name\n10,alice\n20,bob\n',
  'models/stg_customers.sql': `select customer_id, name from {{ ref('raw_customers') }}\n`,
  'models/stg_orders.sql': `select * from (values (1, 10, 5), (2, 20, 7), (3, 20, 12)) as t(order_id, customer_id, amount)\n`,
  'models/fct_orders.sql': `select o.order_id, o.customer_id, c.name, o.amount
from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id
`,
  'models/rpt_revenue.sql': `select name, sum(amount) as revenue from {{ ref('fct_orders') }} group by name\n`,
  'models/dim_dates.sql': `select cast('2024-01-01' as date) as day\n`,
  'models/schema.yml': `version: 2
seeds:
  - name: raw_customers
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [unique]
  - name: stg_customers
    columns:
      - name: name
        data_tests:
          - accepted_values: {values: [alice], config: {severity: warn}}
  - name: fct_orders
    data_tests:
      - unique_combination_of_columns: {combination_of_columns: [order_id, customer_id]}
    columns:
      - name: customer_id
        data_tests:
          - relationships: {to: ref('stg_customers'), field: customer_id, name: fct_orders_customer_known}
unit_tests:
  - name: fct_orders_joins_names
    model: fct_orders
    given:
      - input: ref('stg_orders')
        rows: [{order_id: 1, customer_id: 10, amount: 5}]
      - input: ref('stg_customers')
        rows: [{customer_id: 10, name: alice}]
    expect:
      rows: [{order_id: 1, name: alice}]
`,
};

describe.each(await dialects())('smelt build on %s', (dialect) => {
  it('runs seeds, models and tests in DAG order, each test right after what it reads', async () => {
    const project = fixture(dialect, SHOP);
    const result = await project.cli('build', '--threads', '1');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const lines = resultLines(result.stdout);
    const position = Object.fromEntries(lines.map((l) => [l.name, l.index]));
    expect(lines.map((l) => [l.name, l.kind, l.failures !== undefined ? `${l.status} ${l.failures}` : l.status])).toEqual(expect.arrayContaining([
      ['raw_customers', 'seed', 'OK'],
      ['accepted_values_stg_customers_name__alice', 'test', 'WARN 1'],
      ['fct_orders_joins_names', 'unit', 'PASS'],
      ['rpt_revenue', 'table', 'OK'],
    ]));
    expect(lines).toHaveLength(13);
    const before = (a: string, b: string) => expect(position[a], `${a} before ${b}`).toBeLessThan(position[b]!);
    before('raw_customers', 'unique_raw_customers_customer_id');
    before('unique_raw_customers_customer_id', 'stg_customers');
    before('not_null_raw_customers_customer_id', 'stg_customers');
    before('stg_orders', 'unique_stg_orders_order_id');
    before('unique_stg_orders_order_id', 'fct_orders');
    before('fct_orders_joins_names', 'fct_orders');
    before('stg_customers', 'fct_orders_joins_names');
    before('fct_orders', 'fct_orders_customer_known');
    before('fct_orders_customer_known', 'rpt_revenue');
    before('unique_combination_of_columns_fct_orders_order_id__customer_id', 'rpt_revenue');
    expect(result.stdout).toMatch(/^Done\. 6 ok, 6 passed, 1 warned in \d+\.\d\ds$/m);
    expect(result.stdout).toContain('Warning in test accepted_values_stg_customers_name__alice (models/schema.yml:16)');

    const results = runResults(project.dir);
    expect(results.command).toBe('build');
    expect(results.results.map((r) => r.resourceType).sort()).toEqual([...Array(5).fill('model'), 'seed', ...Array(7).fill('test')].sort());
    expect(await project.query(`select cast(revenue as integer) as revenue from "${project.schema}".rpt_revenue where name = 'bob'`)).toEqual([{ revenue: 19 }]);
  });

  it('skips the downstream of a model whose error-severity test fails, and nothing else', async () => {
    const project = fixture(dialect, {
      ...SHOP,
      // Order 2 twice (for two customers, so the fact's grain still holds).
      'models/stg_orders.sql': `select * from (values (1, 10, 5), (2, 20, 7), (2, 10, 12)) as t(order_id, customer_id, amount)\n`,
    });
    const result = await project.cli('build');
    expectCleanFailure(result, 1);
    expect(statuses(result.stdout)).toMatchObject({
      stg_orders: 'OK',
      unique_stg_orders_order_id: 'FAIL 1',
      stg_customers: 'OK',
      accepted_values_stg_customers_name__alice: 'WARN 1',
      fct_orders_joins_names: 'PASS',
      fct_orders: 'SKIP',
      fct_orders_customer_known: 'SKIP',
      rpt_revenue: 'SKIP',
      dim_dates: 'OK',
    });
    expect(result.stdout).toMatch(/^Finished with errors\. 4 ok, 3 passed, 1 warned, 1 failed, 4 skipped in/m);
    const skipped = runResults(project.dir).results.find((r) => r.name === 'rpt_revenue')!;
    expect(skipped).toMatchObject({ status: 'skipped', message: 'skipped because test unique_stg_orders_order_id failed' });
    expect(await project.relationType(project.schema, 'fct_orders')).toBeUndefined();

    // Accepting the duplicates as a warning, `smelt retry` reruns what failed or was skipped.
    project.write({ 'models/schema.yml': SHOP['models/schema.yml'].replace('data_tests: [unique]', 'data_tests: [{unique: {config: {severity: warn}}}]') });
    const retry = await project.cli('retry');
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    expect(statuses(retry.stdout)).toMatchObject({ unique_stg_orders_order_id: 'WARN 1', fct_orders: 'OK', rpt_revenue: 'OK', fct_orders_customer_known: 'PASS' });
    expect(statuses(retry.stdout).dim_dates).toBeUndefined();
  });

  it('skips a model whose unit test fails, before building it', async () => {
    const project = fixture(dialect, {
      ...SHOP,
      'models/fct_orders.sql': `select o.order_id, o.customer_id, upper(c.name) as name, o.amount
from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id
`,
    });
    const result = await project.cli('build');
    expectCleanFailure(result, 1);
    expect(statuses(result.stdout)).toMatchObject({ fct_orders_joins_names: 'FAIL 2', fct_orders: 'SKIP', rpt_revenue: 'SKIP', dim_dates: 'OK' });
    expect(runResults(project.dir).results.find((r) => r.name === 'fct_orders')!.message).toBe('skipped because test fct_orders_joins_names failed');
  });

  it('builds only what is selected, with the tests of what is selected', async () => {
    const project = fixture(dialect, SHOP);
    // Excluding a model excludes its tests, also those that read another selected model.
    const first = await project.cli('build', '-s', 'raw_customers', 'stg_customers', 'stg_orders', '--exclude', 'fct_orders');
    expect(first.code, first.stdout).toBe(0);
    expect(Object.keys(statuses(first.stdout)).sort()).toEqual([
      'accepted_values_stg_customers_name__alice',
      'not_null_raw_customers_customer_id',
      'raw_customers',
      'stg_customers',
      'stg_orders',
      'unique_raw_customers_customer_id',
      'unique_stg_orders_order_id',
    ]);
    const result = await project.cli('build', '-s', 'stg_customers+', '--exclude', 'test_type:unit');
    expect(result.code, result.stdout).toBe(0);
    expect(Object.keys(statuses(result.stdout)).sort()).toEqual([
      'accepted_values_stg_customers_name__alice',
      'fct_orders',
      'fct_orders_customer_known',
      'rpt_revenue',
      'stg_customers',
      'unique_combination_of_columns_fct_orders_order_id__customer_id',
    ]);
  });
});

const CONTRACT = {
  'models/dim_customers.sql': `select cast(customer_id as integer) as customer_id, name, cast(1.5 as numeric(10,2)) as score
from (values (10, 'alice'), (20, 'bob')) as t(customer_id, name)
`,
  'models/schema.yml': `version: 2
models:
  - name: dim_customers
    config:
      contract: {enforced: true}
    columns:
      - name: customer_id
        data_type: int
      - name: name
        data_type: varchar
      - name: score
        data_type: numeric(10,2)
`,
};

describe.each(await dialects())('model contracts on %s', (dialect) => {
  it('builds a model that meets its contract, and keeps the previous table when a change breaks it', async () => {
    const project = fixture(dialect, CONTRACT);
    const first = await project.cli('run');
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await project.query(`select cast(count(*) as integer) as n from "${project.schema}".dim_customers`)).toEqual([{ n: 2 }]);

    project.write({
      'models/dim_customers.sql': `select cast(customer_id as varchar) as customer_id, name, cast(1.5 as numeric(10,2)) as score, 1 as extra
from (values (10, 'alice'), (20, 'bob'), (30, 'carol')) as t(customer_id, name)
`,
    });
    const broken = await project.cli('run');
    expectCleanFailure(broken, 1);
    expect(statuses(broken.stdout)).toEqual({ dim_customers: 'ERROR' });
    expect(broken.stdout).toContain('Error in model dim_customers (models/schema.yml)');
    expect(broken.stdout).toContain('dim_customers does not meet its contract; it was not built (the previous version is kept):');
    expect(broken.stdout).toMatch(/customer_id\s+int\s+(VARCHAR|character varying)\n/);
    expect(broken.stdout).toMatch(/extra\s+\(not declared\)\s+(INTEGER|integer)\n/);
    // The previous table, with its two rows, is still there.
    expect(await project.query(`select cast(count(*) as integer) as n from "${project.schema}".dim_customers`)).toEqual([{ n: 2 }]);

    project.write({ 'models/dim_customers.sql': `select 1 as customer_id, 'x' as name\n` });
    const missing = await project.cli('build');
    expectCleanFailure(missing, 1);
    expect(missing.stdout).toMatch(/score\s+numeric\(10,2\)\s+\(missing\)/);
  });

  it('requires a data_type on every column of an enforced contract (file and line)', async () => {
    const project = fixture(dialect, {
      ...CONTRACT,
      'models/schema.yml': `version: 2
models:
  - name: dim_customers
    config:
      contract: {enforced: true}
    columns:
      - name: customer_id
        data_type: integer
      - name: name
`,
    });
    const result = await project.cli('build');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("error: Column 'name' of dim_customers needs a data_type: the model enforces a contract\n  --> models/schema.yml:9");
  });
});
