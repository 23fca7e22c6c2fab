import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, FixtureProject, type DialectName } from './support/project.js';
import { runResults, statuses } from './support/test-output.js';

/*
 * Unit tests of models (dbt 1.8's `unit_tests:`), end to end on every dialect: inputs given as
 * rows, CSV, SQL and fixture files; expected rows compared as multisets; overrides; and the
 * errors a user can make, each with file and line. The real relations are never written.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function fixture(dialect: DialectName, files: Record<string, string>): FixtureProject {
  const project = new FixtureProject(dialect, files, { projectYml: 'name: shop\nversion: "1.0"\nvars:\n  min_amount: 0\nmodels:\n  +materialized: table\n' });
  projects.push(project);
  return project;
}

const MODELS = {
  'models/stg_orders.sql': `select * from (values (1, 10, 5.5, 'placed'), (2, 10, 7, 'shipped'), (3, 20, 12, 'returned')) as t(order_id, customer_id, amount, status)\n`,
  'models/stg_customers.sql': `select * from (values (10, 'alice', 'SE'), (20, 'bob', 'NO')) as t(customer_id, name, country)\n`,
  'models/customer_revenue.sql': `select c.customer_id, c.name, count(*) as orders, sum(o.amount) as revenue
from {{ ref('stg_customers') }} c
join {{ ref('stg_orders') }} o on o.customer_id = c.customer_id
where o.status <> 'returned' and o.amount > {{ var('min_amount') }}
group by c.customer_id, c.name
`,
};

const UNIT_TESTS = `unit_tests:
  - name: sums_orders_per_customer
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 10, amount: 5, status: placed}
          - {order_id: 2, customer_id: 10, amount: 7, status: shipped}
          - {order_id: 3, customer_id: 20, amount: 3, status: returned}
      - input: ref('stg_customers')
        format: csv
        rows: |
          customer_id,name
          10,alice
          20,bob
    expect:
      rows:
        - {customer_id: 10, name: alice, orders: 2, revenue: 12}
  - name: counts_wrongly
    model: customer_revenue
    config: {tags: [demo]}
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 10, amount: 5, status: placed}
      - input: ref('stg_customers')
        rows: [{customer_id: 10, name: alice}]
    expect:
      format: csv
      rows: |
        customer_id,orders
        10,2
        99,1
  - name: vars_can_be_overridden
    model: customer_revenue
    overrides:
      vars: {min_amount: 6}
    given:
      - input: ref('stg_orders')
        format: sql
        rows: |
          select 1 as order_id, 10 as customer_id, 5 as amount, 'placed' as status
          union all select 2, 10, 7, 'placed'
      - input: ref('stg_customers')
        format: csv
        fixture: customers
    expect:
      format: sql
      rows: select 10 as customer_id, 7 as revenue
  - name: no_orders_no_rows
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: []
      - input: ref('stg_customers')
        rows: [{customer_id: 10, name: alice}]
    expect:
      rows: []
`;

describe.each(await dialects())('unit tests on %s', (dialect) => {
  it('runs unit tests with rows, CSV, SQL and fixture inputs, and shows how the output differs', async () => {
    const project = fixture(dialect, { ...MODELS, 'models/unit_tests.yml': UNIT_TESTS, 'tests/fixtures/customers.csv': 'customer_id,name\n10,alice\n' });
    expect((await project.cli('run', '-s', 'stg_orders', 'stg_customers')).code).toBe(0);
    const result = await project.cli('test', '-s', 'test_type:unit');
    expect(result.code, result.stderr + result.stdout).toBe(1);
    expect(statuses(result.stdout)).toEqual({
      sums_orders_per_customer: 'PASS',
      counts_wrongly: 'FAIL 3',
      vars_can_be_overridden: 'PASS',
      no_orders_no_rows: 'PASS',
    });
    expect(result.stdout).toMatch(/ FAIL 3 {2}unit {8}counts_wrongly /);
    expect(result.stdout).toContain(`Failure in test counts_wrongly (models/unit_tests.yml:19)
  customer_revenue returned 1 row not expected and missed 2 expected rows (- expected, + actual):`);
    expect(result.stdout).toContain('  - {customer_id: 99, orders: 1}');
    expect(result.stdout).toContain('  + {customer_id: 10, orders: 1}');
    const rows = runResults(project.dir).results;
    expect(rows.find((r) => r.name === 'counts_wrongly')).toMatchObject({ status: 'fail', failures: 3, uniqueId: 'unit_test.shop.customer_revenue.counts_wrongly' });

    // The model itself was never built: unit tests read nothing but column types.
    expect(await project.relationType(project.schema, 'customer_revenue')).toBeUndefined();
    // Selecting the model selects its unit tests; tags work as for any test.
    expect(Object.keys(statuses((await project.cli('test', '-s', 'customer_revenue')).stdout)).sort()).toEqual(['counts_wrongly', 'no_orders_no_rows', 'sums_orders_per_customer', 'vars_can_be_overridden']);
    expect(Object.keys(statuses((await project.cli('test', '-s', 'tag:demo')).stdout))).toEqual(['counts_wrongly']);
  });

  it('works before the inputs exist, with column types from YAML or from the given values', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': `version: 2
models:
  - name: stg_orders
    columns:
      - {name: order_id, data_type: integer}
      - {name: customer_id, data_type: integer}
      - {name: amount, data_type: "numeric(10,2)"}
      - {name: status, data_type: varchar}
unit_tests:
  - name: types_from_yaml_and_values
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 10, amount: 5.25, status: placed}
          - {order_id: 2, customer_id: 10, amount: 1.75, status: shipped}
      - input: ref('stg_customers')
        rows: [{customer_id: 10, name: alice}]
    expect:
      rows: [{customer_id: 10, revenue: 7.00}]
`,
    });
    const result = await project.cli('test');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(statuses(result.stdout)).toEqual({ types_from_yaml_and_values: 'PASS' });
    expect(await project.relationType(project.schema, 'stg_orders')).toBeUndefined();
  });

  it('tests an incremental model with is_incremental and this overridden', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/orders_incremental.sql': `{{ config(materialized='incremental', unique_key='order_id') }}
select order_id, amount from {{ ref('stg_orders') }}
{% if is_incremental() %}where order_id > (select max(order_id) from {{ this }}){% endif %}
`,
      'models/unit_tests.yml': `unit_tests:
  - name: only_new_orders
    model: orders_incremental
    overrides:
      macros: {is_incremental: true}
    given:
      - input: ref('stg_orders')
        rows: [{order_id: 1, amount: 1}, {order_id: 2, amount: 2}, {order_id: 3, amount: 3}]
      - input: this
        rows: [{order_id: 2, amount: 2}]
    expect:
      rows: [{order_id: 3, amount: 3}]
  - name: everything_on_first_build
    model: orders_incremental
    given:
      - input: ref('stg_orders')
        rows: [{order_id: 1, amount: 1}, {order_id: 2, amount: 2}]
    expect:
      rows: [{order_id: 1, amount: 1}, {order_id: 2, amount: 2}]
`,
    });
    expect((await project.cli('run', '-s', 'stg_orders')).code).toBe(0);
    const result = await project.cli('test');
    expect(statuses(result.stdout)).toEqual({ only_new_orders: 'PASS', everything_on_first_build: 'PASS' });
  });

  it('reports given rows that do not match the input, and expected columns the model lacks, at their line', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/unit_tests.yml': `unit_tests:
  - name: misspelt_input_column
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 10, amount: 5, status: placed}
          - {order_id: 2, customer: 10, amount: 5, status: placed}
      - input: ref('stg_customers')
        format: csv
        rows: |
          customer_id,name
          10,alice
    expect:
      rows: []
  - name: misspelt_csv_column
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: []
      - input: ref('stg_customers')
        format: csv
        rows: |
          customer_id,nmae
          10,alice
    expect:
      rows: []
  - name: misspelt_expected_column
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: [{order_id: 1, customer_id: 10, amount: 5, status: placed}]
      - input: ref('stg_customers')
        rows: [{customer_id: 10, name: alice}]
    expect:
      rows:
        - {customer_id: 10}
        - {customer_id: 10, revenu: 5}
`,
    });
    expect((await project.cli('run', '-s', 'stg_orders', 'stg_customers')).code).toBe(0);
    const result = await project.cli('test');
    expectCleanFailure(result, 1);
    expect(statuses(result.stdout)).toEqual({ misspelt_input_column: 'ERROR', misspelt_csv_column: 'ERROR', misspelt_expected_column: 'ERROR' });
    expect(result.stdout).toContain(`Error in test misspelt_input_column (models/unit_tests.yml:8)
  Unit test misspelt_input_column: a row given for ref('stg_orders') has column 'customer', which stg_orders does not have
  hint: Its columns: order_id, customer_id, amount, status.`);
    expect(result.stdout).toContain(`Error in test misspelt_csv_column (models/unit_tests.yml:25)
  Unit test misspelt_csv_column: a row given for ref('stg_customers') has column 'nmae', which stg_customers does not have`);
    expect(result.stdout).toContain(`Error in test misspelt_expected_column (models/unit_tests.yml:38)
  Unit test misspelt_expected_column: expect names column 'revenu', which customer_revenue does not return
  hint: Did you mean 'revenue'? customer_revenue returns: customer_id, name, orders, revenue.`);
  });

  it('reports malformed unit tests when the project compiles, with file and line', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/unit_tests.yml': `unit_tests:
  - name: input_missing
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: []
    expect:
      rows: []
  - name: input_not_read
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: []
      - input: ref('stg_customers')
        rows: []
      - input: ref('customer_revenue')
        rows: []
    expect:
      rows: []
  - name: no_such_model
    model: customer_revenu
    given: []
    expect: {rows: []}
  - name: bad_rows
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        rows: "order_id,amount"
      - input: ref('stg_customers')
        format: csv
        fixture: nowhere
    expect:
      rows: [1, 2]
  - name: ragged_csv
    model: customer_revenue
    given:
      - input: ref('stg_orders')
        format: csv
        rows: |
          order_id,amount
          1,5,extra
      - input: ref('stg_customers')
        rows: []
    expect:
      rows: []
`,
    });
    const result = await project.cli('test');
    expectCleanFailure(result, 2);
    const stderr = result.stderr;
    expect(stderr).toContain(`error: Unit test 'input_missing': model customer_revenue reads ref('stg_customers'), which given does not provide\n  --> models/unit_tests.yml:5`);
    expect(stderr).toContain(`error: Unit test 'input_not_read': model customer_revenue does not read ref('customer_revenue')\n  --> models/unit_tests.yml:16`);
    expect(stderr).toContain(`error: Unit test 'no_such_model' tests model 'customer_revenu', which does not exist or is disabled\n  --> models/unit_tests.yml:21\n  hint: Did you mean 'customer_revenue'?`);
    expect(stderr).toContain(`error: rows of input ref('stg_orders') of unit test 'bad_rows' must be a list of rows\n  --> models/unit_tests.yml:28\n  hint: For CSV text, add format: csv.`);
    expect(stderr).toMatch(/error: CSV rows of input ref\('stg_orders'\) of unit test 'ragged_csv': .*\n {2}--> models\/unit_tests\.yml:41/);
  });
});
