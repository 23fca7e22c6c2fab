import { describe, expect, it } from 'vitest';
import type { Adapter } from '../adapters/adapter.js';
import { Dialect } from '../adapters/dialect.js';
import { SmeltError, SmeltErrors } from '../errors.js';
import { compileProject, type CompileResult } from '../manifest/compile-project.js';
import type { CompiledNode } from '../manifest/types.js';
import type { Project, PropertiesSource } from '../project/load-project.js';
import { projectSchema, propertiesFileSchema } from '../project/schemas.js';
import { YamlFile } from '../project/yaml-file.js';
import { quoteDoubled } from '../template/relation.js';
import { batchQuery } from './batch.js';
import { TestRunner } from './run-test.js';

/** An in-memory project: project.yml settings plus files by path. */
function project(files: Record<string, string>, config: Record<string, unknown> = {}): Project {
  const at = (dir: string, ext: string) =>
    Object.entries(files).filter(([path]) => path.startsWith(`${dir}/`) && path.endsWith(ext)).map(([path, text]) => ({ path, text })).sort((a, b) => a.path.localeCompare(b.path));
  const properties: PropertiesSource[] = Object.entries(files).filter(([path]) => path.endsWith('.yml')).map(([path, text]) => {
    const yaml = YamlFile.parse(path, text);
    const result = yaml.validate(propertiesFileSchema);
    if (result.errors.length > 0) throw result.errors[0];
    return { yaml, value: result.value! };
  });
  return {
    root: '/nowhere', config: projectSchema.parse({ name: 'shop', ...config }), name: 'shop',
    models: at('models', '.sql'), macros: at('macros', '.sql'), snapshots: [], tests: at('tests', '.sql'), seeds: [], properties, docs: [], warnings: [],
  };
}

function compile(files: Record<string, string>, config: Record<string, unknown> = {}): CompileResult {
  return compileProject({
    project: project(files, config),
    run: { projectName: 'shop', target: { name: 'dev', type: 'duckdb', schema: 'analytics', threads: 1 }, vars: { statuses: ['a', 'b'] }, env: {}, runStartedAt: new Date(0), invocationId: 'i', fullRefresh: false, quote: quoteDoubled },
    targetName: 'dev',
    smeltVersion: '0.0.0-test',
  });
}

function errors(files: Record<string, string>): SmeltError[] {
  try {
    compile(files);
  } catch (error) {
    if (error instanceof SmeltErrors) return error.errors;
    if (error instanceof SmeltError) return [error];
    throw error;
  }
  return [];
}

const tests = (result: CompileResult): CompiledNode[] => Object.values(result.manifest.nodes).filter((n) => n.resourceType === 'test');
const byName = (result: CompileResult, name: string): CompiledNode => tests(result).find((t) => t.name === name)!;

describe('compiling data tests', () => {
  it('turns YAML entries into test nodes with dbt ids, dependencies, config and SQL', () => {
    const result = compile({
      'models/orders.sql': 'select 1 as id, 2 as customer_id',
      'models/customers.sql': 'select 2 as id',
      'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: id
        tags: [keys]
        data_tests:
          - unique
          - not_null: {where: "id > 0", config: {severity: warn, tags: [nightly]}}
      - name: customer_id
        data_tests:
          - relationships: {to: ref('customers'), field: id}
`,
    });
    const unique = byName(result, 'unique_orders_id');
    expect(unique.uniqueId).toMatch(/^test\.shop\.unique_orders_id\.[0-9a-f]{10}$/);
    expect(unique.dependsOn.nodes).toEqual(['model.shop.orders']);
    expect(unique.config).toMatchObject({ materialized: 'test', test_type: 'generic', test_name: 'unique', severity: 'ERROR', warn_if: '!= 0', error_if: '!= 0', tags: ['keys'] });
    expect(unique.relation).toEqual({ schema: 'analytics_dbt_test__audit', identifier: 'unique_orders_id' });
    expect(unique.path).toBe('models/schema.yml');
    expect(unique.startLine).toBe(8);
    expect(unique.test).toMatchObject({ type: 'generic', name: 'unique', columnName: 'id', attachedNode: 'model.shop.orders', builtin: true, columns: [{ node: 'model.shop.orders', column: 'id' }] });
    expect(unique.compiledSql).toBe('select\n    id as unique_field,\n    count(*) as n_records\nfrom "analytics"."orders"\nwhere id is not null\ngroup by id\nhaving count(*) > 1');

    const notNull = byName(result, 'not_null_orders_id');
    expect(notNull.config).toMatchObject({ severity: 'WARN', where: 'id > 0', tags: ['keys', 'nightly'] });
    expect(notNull.compiledSql).toBe('select *\nfrom (select * from "analytics"."orders" where id > 0) dbt_subquery\nwhere id is null');

    const relationships = byName(result, 'relationships_orders_customer_id__id__ref_customers_');
    expect(relationships.dependsOn.nodes.sort()).toEqual(['model.shop.customers', 'model.shop.orders']);
    expect(relationships.test!.columns).toEqual([{ node: 'model.shop.orders', column: 'customer_id' }, { node: 'model.shop.customers', column: 'id' }]);
    expect(relationships.test!.kwargs).toEqual({ to: '"analytics"."customers"', field: 'id', column_name: 'customer_id' });
    expect(result.manifest.childMap['model.shop.customers']).toContain(relationships.uniqueId);
  });

  it('inlines ephemeral models into tests of them, renders args and applies project.yml test config by folder', () => {
    const result = compile({
      'models/staging/stg.sql': "{{ config(materialized='ephemeral') }}select 'a' as status",
      'models/staging/schema.yml': `version: 2
models:
  - name: stg
    columns:
      - name: status
        data_tests:
          - accepted_values: {values: "{{ var('statuses') }}"}
`,
    }, { data_tests: { shop: { staging: { '+severity': 'warn', '+store_failures': true } } } });
    const test = tests(result)[0]!;
    expect(test.name).toBe('accepted_values_stg_status___var_statuses_');
    expect(test.fqn).toEqual(['shop', 'staging', 'accepted_values_stg_status___var_statuses_']);
    expect(test.config).toMatchObject({ severity: 'WARN', store_failures: true });
    expect(test.test!.kwargs.values).toEqual(['a', 'b']);
    expect(test.compiledSql).toMatch(/^with __smelt_cte__stg as \(\nselect 'a' as status\n\),\nall_values as \(/);
    expect(test.compiledSql).toContain("where value_field not in (\n    'a', 'b'\n)");
  });

  it('compiles singular tests with their config() and leaves tests/fixtures alone', () => {
    const result = compile({
      'models/orders.sql': 'select 1 as id',
      'tests/assert_ids.sql': "{{ config(severity='warn', tags=['audit']) }}select * from {{ ref('orders') }} where id < 0",
      'tests/fixtures/orders.sql': 'select 1 as id',
    });
    expect(tests(result).map((t) => t.uniqueId)).toEqual(['test.shop.assert_ids']);
    const test = tests(result)[0]!;
    expect(test.config).toMatchObject({ test_type: 'singular', severity: 'WARN', tags: ['audit'] });
    expect(test.compiledSql).toBe('select * from "analytics"."orders" where id < 0');
    expect(test.dependsOn.nodes).toEqual(['model.shop.orders']);
  });

  it('names source tests as dbt does', () => {
    const result = compile({
      'models/sources.yml': `version: 2
sources:
  - name: crm
    schema: raw
    tables:
      - name: customers
        data_tests:
          - unique_combination_of_columns: {combination_of_columns: [id, region]}
        columns:
          - name: id
            data_tests: [not_null]
`,
    });
    expect(tests(result).map((t) => t.name).sort()).toEqual(['source_not_null_crm_customers_id', 'source_unique_combination_of_columns_crm_customers_id__region']);
    expect(byName(result, 'source_not_null_crm_customers_id').compiledSql).toContain('from "raw"."customers"');
  });

  it('compiles a unit test into the model SQL reading CTEs of the given rows', () => {
    const result = compile({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select id from {{ ref('a') }} where id > {{ var('min', 0) }}",
      'models/unit.yml': `unit_tests:
  - name: keeps_big_ids
    model: b
    overrides: {vars: {min: 5}}
    given:
      - input: ref('a')
        rows: [{id: 1}, {id: 9}]
    expect:
      rows: [{id: 9}]
`,
    });
    const unit = tests(result)[0]!;
    expect(unit.uniqueId).toBe('unit_test.shop.b.keeps_big_ids');
    expect(unit.config).toMatchObject({ test_type: 'unit' });
    expect(unit.compiledSql).toBe("select id from __smelt_given_0_ref_a where id > 5");
    expect(unit.test!.unit!.given[0]).toMatchObject({ input: "ref('a')", node: 'model.shop.a', rows: [{ id: 1 }, { id: 9 }], rowLines: [7, 7] });
    expect(result.manifest.nodes['model.shop.b']!.compiledSql).toContain('> 0');
  });

  it('collects every problem with file and line', () => {
    const problems = errors({
      'models/orders.sql': 'select 1 as id',
      'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - uniqe
          - accepted_values: {values: {a: 1}}
          - relationships: {field: id}
          - unique_combination_of_columns: {combination_of_columns: []}
`,
    });
    expect(problems.map((p) => [p.message, p.where])).toEqual([
      ["Unknown test 'uniqe'", 'models/schema.yml:7'],
      ["accepted_values: 'values' must be a list, not {\"a\":1}", 'models/schema.yml:8'],
      ["Test 'relationships' needs argument 'to'", 'models/schema.yml:9'],
      ["unique_combination_of_columns: 'combination_of_columns' must be a non-empty list of column names", 'models/schema.yml:10'],
    ]);
  });
});

describe('shared scans', () => {
  const result = compile({
    'models/orders.sql': 'select 1 as id, 2 as amount',
    'models/eph.sql': "{{ config(materialized='ephemeral') }}select 1 as id",
    'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests: [unique, not_null]
      - name: amount
        data_tests:
          - accepted_values: {values: [1, 2], quote: false, where: "id > 0"}
          - not_null: {config: {store_failures: true}}
          - not_null: {name: amount_limited, limit: 5}
  - name: eph
    columns:
      - name: id
        data_tests: [unique, not_null]
`,
  });
  const adapter = { dialect: new Dialect('postgres'), capabilities: { sharedTestScans: true } } as Adapter;
  const runner = new TestRunner({ adapter, manifest: result.manifest, redact: (t) => t, compiledFile: (n) => n.path });
  const ids = tests(result).map((t) => t.uniqueId).sort();

  it('never shares scans where the adapter says they do not pay', () => {
    const duckdb = { dialect: new Dialect('duckdb'), capabilities: { sharedTestScans: false } } as Adapter;
    expect(new TestRunner({ adapter: duckdb, manifest: result.manifest, redact: (t) => t, compiledFile: (n) => n.path }).plan(ids).every((u) => u.tests.length === 1)).toBe(true);
  });

  it('groups the built-in tests of one relation; stored, limited and ephemeral ones run alone', () => {
    const units = runner.plan(ids);
    const batched = units.filter((u) => u.tests.length > 1);
    expect(batched).toHaveLength(1);
    expect(batched[0]!.id).toBe('batch:model.shop.orders:0');
    expect(batched[0]!.tests.map((t) => t.name).sort()).toEqual(['accepted_values_orders_amount__False__1__2', 'not_null_orders_id', 'unique_orders_id']);
    expect(units).toHaveLength(5);
    const unbatched = new TestRunner({ adapter, manifest: result.manifest, redact: (t) => t, compiledFile: (n) => n.path, batch: false });
    expect(unbatched.plan(ids).every((u) => u.tests.length === 1)).toBe(true);
  });

  it('answers them with one aggregate query', () => {
    const group = runner.plan(ids).find((u) => u.tests.length > 1)!.tests.sort((a, b) => a.name.localeCompare(b.name));
    expect(batchQuery('"analytics"."orders"', group, adapter.dialect).sql).toBe(`select
  count(distinct amount) filter (where (id > 0) and (amount not in (1, 2))) as f0,
  count(*) filter (where id is null) as f1,
  count(id) - count(distinct id) as f2
from "analytics"."orders"`);
  });
});
