import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, FixtureProject, type DialectName } from './support/project.js';
import { resultLines, runResults, statuses } from './support/test-output.js';

/*
 * `smelt test` end to end, on every dialect: dbt's generic tests passing and failing with their
 * failure counts, custom generic and singular tests, test config, stored failures, selection,
 * shared scans, run_results.json and every error a user can cause, with file and line.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function fixture(dialect: DialectName, files: Record<string, string>, projectYml = PROJECT_YML): FixtureProject {
  const project = new FixtureProject(dialect, files, { projectYml });
  projects.push(project);
  return project;
}

const PROJECT_YML = `name: shop
version: "1.0"
vars:
  statuses: [placed, shipped, returned]
models:
  +materialized: table
`;

const MODELS = {
  'models/customers.sql': `select * from (values (10, 'alice'), (20, 'bob')) as t(customer_id, name)\n`,
  'models/clean.sql': `select * from (values
  (1, 10, 'placed', 5),
  (2, 10, 'shipped', 7),
  (3, 20, 'returned', 12)
) as t(order_id, customer_id, status, amount)
`,
  // Order 2 and 3 twice; customers 30 and 40 unknown; 'lost' and 'gone' not accepted; one amount missing.
  'models/dirty.sql': `select * from (values
  (1, 10, 'placed', 5),
  (2, 30, 'lost', null),
  (2, 40, 'gone', 3),
  (3, 20, 'lost', 4),
  (3, 20, 'lost', 4)
) as t(order_id, customer_id, status, amount)
`,
};

/** The same tests on a clean and a dirty model; the dirty one uses dbt's older `tests:` key. */
const SCHEMA = `version: 2
models:
  - name: customers
    columns:
      - name: customer_id
        data_tests:
          - unique
          - not_null
          - accepted_values: {values: [10, 20], quote: false}
  - name: clean
    data_tests:
      - unique_combination_of_columns:
          combination_of_columns: [order_id, customer_id]
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: customer_id
        data_tests:
          - relationships: {to: ref('customers'), field: customer_id}
      - name: status
        data_tests:
          - accepted_values:
              values: "{{ var('statuses') }}"
      - name: amount
        data_tests: [not_null]
  - name: dirty
    tests:
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [order_id, customer_id]
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: customer_id
        tests:
          - relationships:
              to: ref('customers')
              field: customer_id
          - accepted_values: {values: [10, 20], quote: false}
      - name: status
        tests:
          - accepted_values: {values: [placed, shipped, returned]}
      - name: amount
        tests: [not_null]
`;

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

const EXPECTED: Record<string, string> = {
  unique_customers_customer_id: 'PASS',
  not_null_customers_customer_id: 'PASS',
  accepted_values_customers_customer_id__False__10__20: 'PASS',
  unique_combination_of_columns_clean_order_id__customer_id: 'PASS',
  unique_clean_order_id: 'PASS',
  not_null_clean_order_id: 'PASS',
  relationships_clean_customer_id__customer_id__ref_customers_: 'PASS',
  accepted_values_clean_status___var_statuses_: 'PASS',
  not_null_clean_amount: 'PASS',
  // 64 characters or more: dbt keeps the first 30 and adds an md5 of the full name.
  [`dbt_utils_unique_combination_o_${md5('dbt_utils_unique_combination_of_columns_dirty_order_id__customer_id')}`]: 'FAIL 1',
  unique_dirty_order_id: 'FAIL 2',
  not_null_dirty_order_id: 'PASS',
  relationships_dirty_customer_id__customer_id__ref_customers_: 'FAIL 2',
  accepted_values_dirty_customer_id__False__10__20: 'FAIL 2',
  accepted_values_dirty_status__placed__shipped__returned: 'FAIL 2',
  not_null_dirty_amount: 'FAIL 1',
};

describe.each(await dialects())('smelt test on %s', (dialect) => {
  it("runs dbt's generic tests, passing and failing, with dbt's names and failure counts", async () => {
    const project = fixture(dialect, { ...MODELS, 'models/schema.yml': SCHEMA });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('test');
    expect(result.code, result.stderr + result.stdout).toBe(1);
    expect(statuses(result.stdout)).toEqual(EXPECTED);
    const lines = resultLines(result.stdout);
    expect(lines.every((l) => l.total === 16 && l.kind === 'test')).toBe(true);
    expect(lines.map((l) => l.index).sort((a, b) => a - b)).toEqual([...Array(16).keys()].map((i) => i + 1));
    expect(result.stdout).toMatch(/^Finished with errors\. 10 passed, 6 failed in \d+\.\d\ds$/m);
    // Each failure names the YAML line of its test and what it found.
    expect(result.stdout).toContain('Failure in test unique_dirty_order_id (models/schema.yml:32)\n  Got 2 results, configured to fail if != 0');
    expect(result.stdout).toContain('target/compiled/shop/models/schema.yml/unique_dirty_order_id.sql');
    expect(readFileSync(join(project.dir, 'target/compiled/shop/models/schema.yml/unique_dirty_order_id.sql'), 'utf8')).toMatch(/group by order_id\nhaving count\(\*\) > 1/);

    const runResultsJson = runResults(project.dir);
    expect(runResultsJson.command).toBe('test');
    expect(runResultsJson.success).toBe(false);
    expect(runResultsJson.results).toHaveLength(16);
    const unique = runResultsJson.results.find((r) => r.name === 'unique_dirty_order_id')!;
    expect(unique).toMatchObject({ resourceType: 'test', status: 'fail', failures: 2, where: 'models/schema.yml:32' });
    expect(unique.uniqueId).toMatch(/^test\.shop\.unique_dirty_order_id\.[0-9a-f]{10}$/);
    expect(runResultsJson.results.find((r) => r.name === 'not_null_clean_amount')).toMatchObject({ status: 'pass', failures: 0 });
  });

  it('gives the same results with one query per test (--no-batch) as with shared scans, and passes with --threads 1', async () => {
    const project = fixture(dialect, { ...MODELS, 'models/schema.yml': SCHEMA });
    expect((await project.cli('run')).code).toBe(0);
    const unbatched = await project.cli('test', '--no-batch', '--threads', '1');
    expect(unbatched.code).toBe(1);
    expect(statuses(unbatched.stdout)).toEqual(EXPECTED);
    expect(unbatched.stdout).toContain('with 1 thread');
  });

  it('runs custom generic tests from {% test %} macros, and singular tests from tests/', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'macros/generic_tests.sql': `{% test is_positive(model, column_name, allow_zero=false) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 {% if not allow_zero %}or {{ column_name }} = 0{% endif %}
{% endtest %}

{% test row_count_at_least(model, minimum) %}
select 1 as too_few from (select count(*) as n from {{ model }}) c where n < {{ minimum }}
{% endtest %}
`,
      'models/schema.yml': `version: 2
models:
  - name: clean
    data_tests:
      - row_count_at_least: {minimum: 3}
      - row_count_at_least:
          name: clean_has_ten_rows
          minimum: 10
    columns:
      - name: amount
        data_tests: [is_positive]
  - name: dirty
    columns:
      - name: amount
        data_tests:
          - is_positive: {allow_zero: true}
`,
      'tests/assert_no_lost_orders.sql': `-- lost orders must be written off
select order_id from {{ ref('dirty') }} where status = 'lost'
`,
      'tests/audit/assert_amounts_known.sql': `{{ config(severity='warn', tags=['audit']) }}
select * from {{ ref('dirty') }} where amount is null;
`,
      'tests/assert_customers_named.sql': `select * from {{ ref('customers') }} where name is null\n`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('test');
    expect(result.code, result.stderr + result.stdout).toBe(1);
    expect(statuses(result.stdout)).toEqual({
      row_count_at_least_clean_3: 'PASS',
      clean_has_ten_rows: 'FAIL 1',
      is_positive_clean_amount: 'PASS',
      is_positive_dirty_True__amount: 'PASS',
      assert_no_lost_orders: 'FAIL 3',
      assert_amounts_known: 'WARN 1',
      assert_customers_named: 'PASS',
    });
    expect(result.stdout).toContain('Failure in test assert_no_lost_orders (tests/assert_no_lost_orders.sql)');
    expect(result.stdout).toContain('Warning in test assert_amounts_known (tests/audit/assert_amounts_known.sql)');
    const manifest = JSON.parse(readFileSync(join(project.dir, 'target/manifest.json'), 'utf8'));
    const singular = manifest.nodes['test.shop.assert_no_lost_orders'];
    expect(singular.config).toMatchObject({ test_type: 'singular', severity: 'ERROR' });
    expect(singular.dependsOn.nodes).toEqual(['model.shop.dirty']);
    const custom = Object.values(manifest.nodes).find((n) => (n as { name: string }).name === 'is_positive_clean_amount') as { config: Record<string, unknown>; dependsOn: { macros: string[] } };
    expect(custom.config).toMatchObject({ test_type: 'generic', test_name: 'is_positive' });
    expect(custom.dependsOn.macros).toContain('macro.shop.test_is_positive');
  });

  it('honours severity, warn_if, error_if, where, limit, fail_calc and tags', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': `version: 2
models:
  - name: dirty
    columns:
      - name: order_id
        data_tests:
          - unique:
              config: {severity: warn}
          - unique:
              name: order_id_unique_thresholds
              config: {warn_if: ">= 1", error_if: ">= 3"}
          - unique:
              name: order_id_unique_strict
              error_if: ">1"
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('customers')
              field: customer_id
              config:
                where: "customer_id <> 40"
                tags: [critical]
      - name: status
        data_tests:
          - accepted_values:
              values: [placed]
              config: {limit: 1}
          - accepted_values:
              name: status_count_of_rows
              values: [placed]
              config: {fail_calc: "sum(n_records)"}
      - name: amount
        data_tests:
          - not_null:
              severity: warn
              warn_if: "> 5"
`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('test');
    expect(statuses(result.stdout)).toEqual({
      unique_dirty_order_id: 'WARN 2',
      order_id_unique_thresholds: 'WARN 2',
      order_id_unique_strict: 'FAIL 2',
      relationships_dirty_customer_id__customer_id__ref_customers_: 'FAIL 1',
      accepted_values_dirty_status__placed: 'FAIL 1',
      status_count_of_rows: 'FAIL 4',
      not_null_dirty_amount: 'PASS',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Got 2 results, configured to warn if >= 1');
    expect(result.stdout).toContain('Got 2 results, configured to fail if > 1');

    const critical = await project.cli('test', '-s', 'tag:critical');
    expect(Object.keys(statuses(critical.stdout))).toEqual(['relationships_dirty_customer_id__customer_id__ref_customers_']);

    // Warnings alone do not fail the command.
    const warnOnly = await project.cli('test', '-s', 'test_name:unique', '--exclude', 'order_id_unique_strict');
    expect(statuses(warnOnly.stdout)).toEqual({ unique_dirty_order_id: 'WARN 2', order_id_unique_thresholds: 'WARN 2' });
    expect(warnOnly.code).toBe(0);
    expect(warnOnly.stdout).toMatch(/^Done\. 0 ok, 2 warned in/m);
  });

  it('keeps failing rows in <schema>_dbt_test__audit with store_failures, and names the table', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': `version: 2
models:
  - name: dirty
    columns:
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('customers')
              field: customer_id
              config: {store_failures: true}
      - name: amount
        data_tests: [not_null]
`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('test');
    expect(statuses(result.stdout)).toEqual({
      relationships_dirty_customer_id__customer_id__ref_customers_: 'FAIL 2',
      not_null_dirty_amount: 'FAIL 1',
    });
    const audit = project.schemaFor('dbt_test__audit');
    const table = `"${audit}"."relationships_dirty_customer_id__customer_id__ref_customers_"`;
    expect(result.stdout).toContain(`Failing rows: select * from ${table}`);
    expect(await project.query(`select from_field from ${table} order by 1`)).toEqual([{ from_field: 30 }, { from_field: 40 }]);
    expect(await project.relationType(audit, 'not_null_dirty_amount')).toBeUndefined();

    // --store-failures keeps every test's rows (whole rows, for not_null).
    const all = await project.cli('test', '--store-failures');
    expect(all.code).toBe(1);
    expect(await project.query(`select order_id, status from "${audit}"."not_null_dirty_amount"`)).toEqual([{ order_id: 2, status: 'lost' }]);
  });

  it('selects tests with the model selectors, test_type: and test_name:, and tests of sources', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': SCHEMA,
      'tests/assert_no_lost_orders.sql': `select * from {{ ref('dirty') }} where status = 'lost'\n`,
    });
    project.write({
      'models/sources.yml': `version: 2
sources:
  - name: crm
    schema: ${project.schema}
    tables:
      - name: customers
        columns:
          - name: name
            data_tests: [not_null]
`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const names = async (...args: string[]) => Object.keys(statuses((await project.cli('test', ...args)).stdout)).sort();

    expect(await names('-s', 'clean')).toEqual(Object.keys(EXPECTED).filter((n) => n.includes('clean')).sort());
    // A test comes along when any model it reads is selected (dbt's eager indirect selection).
    expect(await names('-s', 'customers')).toEqual([
      'accepted_values_customers_customer_id__False__10__20',
      'not_null_customers_customer_id',
      'relationships_clean_customer_id__customer_id__ref_customers_',
      'relationships_dirty_customer_id__customer_id__ref_customers_',
      'unique_customers_customer_id',
    ]);
    expect(await names('-s', 'test_type:singular')).toEqual(['assert_no_lost_orders']);
    expect(await names('-s', 'test_name:not_null', '--exclude', 'dirty')).toEqual(['not_null_clean_amount', 'not_null_clean_order_id', 'not_null_customers_customer_id', 'source_not_null_crm_customers_name']);
    expect(await names('-s', 'source:crm')).toEqual(['source_not_null_crm_customers_name']);
    expect(await names('-s', 'unique_dirty_order_id')).toEqual(['unique_dirty_order_id']);
    expect(await names('-s', 'test_type:unit')).toEqual([]);
    const ls = await project.cli('ls', '-s', 'test_type:generic,dirty', '--output', 'name');
    expect(ls.stdout.trim().split('\n')).toHaveLength(7);
  });

  it('reports a column that does not exist at its YAML line, with the columns there are', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': `version: 2
models:
  - name: clean
    columns:
      - name: order_id
        data_tests: [unique]
      - name: custmer_id
        data_tests:
          - not_null
          - relationships: {to: ref('customers'), field: customer_id}
      - name: status
        data_tests:
          - relationships: {to: ref('customers'), field: id}
`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('test');
    expectCleanFailure(result, 1);
    expect(statuses(result.stdout)).toEqual({
      unique_clean_order_id: 'PASS',
      not_null_clean_custmer_id: 'ERROR',
      relationships_clean_custmer_id__customer_id__ref_customers_: 'ERROR',
      relationships_clean_status__id__ref_customers_: 'ERROR',
    });
    expect(result.stdout).toContain(`Error in test not_null_clean_custmer_id (models/schema.yml:9)
  Column 'custmer_id' does not exist in clean
  hint: Did you mean 'customer_id'? clean has: order_id, customer_id, status, amount.`);
    expect(result.stdout).toContain(`Error in test relationships_clean_status__id__ref_customers_ (models/schema.yml:13)
  Column 'id' does not exist in customers`);
  });

  it('reports a test on a relation that was never built, and a broken singular test at its compiled line', async () => {
    const project = fixture(dialect, {
      ...MODELS,
      'models/schema.yml': `version: 2\nmodels:\n  - name: clean\n    columns:\n      - name: order_id\n        data_tests: [unique]\n`,
      'tests/broken.sql': `select *\nfrom {{ ref('clean') }}\nwhere no_such_column > 1\n`,
    });
    const result = await project.cli('test');
    expectCleanFailure(result, 1);
    expect(result.stdout).toMatch(/Error in test unique_clean_order_id \(models\/schema\.yml:6\)\n {2}clean \(.*"clean"\) does not exist in the warehouse\n {2}hint: Build it first: smelt build -s clean/);
    expect((await project.cli('run')).code).toBe(0);
    const again = await project.cli('test', '-s', 'broken');
    expectCleanFailure(again, 1);
    expect(again.stdout).toMatch(/Error in test broken \(target\/compiled\/shop\/tests\/broken\.sql(:3)?\)/);
    expect(again.stdout).toMatch(/no_such_column/);
  });

  it('prints "Nothing to do" when no test is selected', async () => {
    const project = fixture(dialect, MODELS);
    const result = await project.cli('test');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to do: no tests are selected.');
    expect(runResults(project.dir).results).toEqual([]);
  });
});

describe.each(await dialects())('data test errors in YAML on %s (compile time, file and line)', (dialect) => {
  const failing = async (schema: string, extra: Record<string, string> = {}) => {
    const project = fixture(dialect, { ...MODELS, 'models/schema.yml': schema, ...extra });
    const result = await project.cli('test');
    expectCleanFailure(result, 2);
    return result.stderr;
  };

  it('an unknown test name, with the closest known one', async () => {
    const stderr = await failing(`version: 2
models:
  - name: clean
    columns:
      - name: order_id
        data_tests:
          - uniqe
          - dbt_expectations.expect_column_to_exist
`);
    expect(stderr).toContain("error: Unknown test 'uniqe'\n  --> models/schema.yml:7\n  hint: Did you mean 'unique'?");
    expect(stderr).toContain("error: Unknown test 'dbt_expectations.expect_column_to_exist'\n  --> models/schema.yml:8\n  hint: smelt installs no packages");
  });

  it('a malformed accepted_values list', async () => {
    const stderr = await failing(`version: 2
models:
  - name: clean
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: placed
          - accepted_values:
              name: nested
              values:
                - [placed, shipped]
          - accepted_values:
              name: empty
              values: []
          - accepted_values:
              name: no_values
              quote: false
`);
    expect(stderr).toContain(`error: accepted_values: 'values' must be a list, not "placed"\n  --> models/schema.yml:8`);
    expect(stderr).toContain(`error: accepted_values: every value must be a single text, number or boolean, not ["placed","shipped"]\n  --> models/schema.yml:12`);
    expect(stderr).toContain(`error: accepted_values: 'values' is empty, so every row would fail\n  --> models/schema.yml:15`);
    expect(stderr).toContain(`error: Test 'accepted_values' needs argument 'values'\n  --> models/schema.yml:17`);
    expect(stderr).toContain('4 errors found.');
  });

  it('bad arguments, bad config and a malformed entry', async () => {
    const stderr = await failing(`version: 2
models:
  - name: clean
    columns:
      - name: customer_id
        data_tests:
          - relationships: {to: customers, field: customer_id}
          - not_null: {config: {severity: fatal}}
          - unique: {warn_if: "lots"}
          - not_null: {colour: red}
          - unique: {}
            not_null: {}
          - is_positive: {allow_zeros: true}
`, { 'macros/t.sql': `{% test is_positive(model, column_name, allow_zero=false) %}select 1{% endtest %}` });
    expect(stderr).toContain(`error: relationships: 'to' must be ref('model') or source('name', 'table'), not "customers"\n  --> models/schema.yml:7`);
    expect(stderr).toContain(`error: severity must be 'error' or 'warn', not "fatal"\n  --> models/schema.yml:8`);
    expect(stderr).toContain(`error: warn_if must be a comparison with a number, like "!= 0" or ">10", not "lots"\n  --> models/schema.yml:9`);
    expect(stderr).toContain(`error: Test 'not_null' has no argument 'colour'\n  --> models/schema.yml:10`);
    expect(stderr).toContain(`error: A test entry has 2 keys (unique, not_null); its only key must be the test's name\n  --> models/schema.yml:11`);
    expect(stderr).toContain(`error: Test 'is_positive' has no argument 'allow_zeros'\n  --> models/schema.yml:13`);
  });

  it('a ref to an unknown model in a test, and a test declared twice', async () => {
    const stderr = await failing(`version: 2
models:
  - name: clean
    columns:
      - name: customer_id
        data_tests:
          - relationships: {to: ref('customer'), field: customer_id}
          - not_null
          - not_null
`);
    expect(stderr).toContain(`error: ref('customer'): no model, seed or snapshot named 'customer'\n  --> models/schema.yml:7`);
    expect(stderr).toContain(`hint: Did you mean 'customers'?`);
    expect(stderr).toMatch(/error: Test 'not_null_clean_customer_id' is declared twice \(also at models\/schema\.yml:8\)\n {2}--> models\/schema\.yml:9/);
  });
});

it('compiled test SQL is written under target/compiled/<project>/<yml>/<test>.sql', async () => {
  const project = fixture('duckdb', { ...MODELS, 'models/schema.yml': SCHEMA });
  expect((await project.cli('compile')).code).toBe(0);
  const file = join(project.dir, 'target/compiled/shop/models/schema.yml/relationships_clean_customer_id__customer_id__ref_customers_.sql');
  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toContain('from "main"."customers"');
});
