import { describe, expect, it } from 'vitest';
import { SmeltError, SmeltErrors } from '../errors.js';
import type { RunContext } from '../template/context.js';
import { compileProject, type CompileResult } from './compile-project.js';
import { project, runContext } from './test-support.js';

function compile(files: Record<string, string>, config: Record<string, unknown> = {}, run: Partial<RunContext> = {}): CompileResult {
  return compileProject({ project: project(files, config), run: runContext(run), targetName: 'dev', smeltVersion: '0.0.0-test' });
}

function compileErrors(files: Record<string, string>, config: Record<string, unknown> = {}): SmeltError[] {
  try {
    compile(files, config);
  } catch (error) {
    if (error instanceof SmeltErrors) return error.errors;
    if (error instanceof SmeltError) return [error];
    throw error;
  }
  throw new Error('expected compile errors');
}

const sqlOf = (result: CompileResult, name: string) => result.manifest.nodes[`model.shop.${name}`]!.compiledSql.trim();

describe('compileProject: the manifest', () => {
  const result = compile({
    'models/bronze/stg_orders.sql': 'select 1 as id',
    'models/gold/fct_orders.sql': "{{ config(materialized='table', tags=['daily']) }}\nselect * from {{ ref('stg_orders') }}",
    'models/bronze/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: orders\n        identifier: orders_v2\n',
    'models/bronze/from_source.sql': "select * from {{ source('raw', 'orders') }}",
  }, { models: { bronze: { '+materialized': 'view' }, gold: { '+schema': 'gold' } } });

  it('has every node with path, raw and compiled SQL, config, depends_on and checksum', () => {
    const node = result.manifest.nodes['model.shop.fct_orders']!;
    expect(node).toMatchObject({
      name: 'fct_orders',
      path: 'models/gold/fct_orders.sql',
      fqn: ['shop', 'gold', 'fct_orders'],
      rawSql: "{{ config(materialized='table', tags=['daily']) }}\nselect * from {{ ref('stg_orders') }}",
      config: { materialized: 'table', schema: 'gold', tags: ['daily'], enabled: true },
      relation: { schema: 'analytics_gold', identifier: 'fct_orders' },
      dependsOn: { nodes: ['model.shop.stg_orders'] },
    });
    expect(node.compiledSql.trim()).toBe('select * from "analytics"."stg_orders"');
    expect(node.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(result.manifest.nodes).sort()).toEqual(['model.shop.fct_orders', 'model.shop.from_source', 'model.shop.stg_orders']);
  });

  it('resolves sources declared in YAML and records them as parents', () => {
    expect(sqlOf(result, 'from_source')).toBe('select * from "landing"."orders_v2"');
    expect(result.manifest.parentMap['model.shop.from_source']).toEqual(['source.shop.raw.orders']);
    expect(result.manifest.childMap['model.shop.stg_orders']).toEqual(['model.shop.fct_orders']);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(result.manifest))).toEqual(result.manifest);
  });
});

describe('compileProject: templating', () => {
  it('supports ref with a package name, this, target, var and env_var with defaults', () => {
    const result = compile({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': [
        "select * from {{ ref('shop', 'a') }}",
        "-- {{ this }} {{ this.schema }}.{{ this.identifier }}",
        "-- {{ target.name }} {{ target.type }} {{ target.schema }}",
        "-- {{ var('limit') }} {{ var('missing', 'fallback') }} {{ var('missing', default=7) }}",
        "-- {{ env_var('SHOP_ENV') }} {{ env_var('NOPE', 'dflt') }}",
      ].join('\n'),
    }, {}, { vars: { limit: 10 }, env: { SHOP_ENV: 'ci' } });
    expect(sqlOf(result, 'b').split('\n')).toEqual([
      'select * from "analytics"."a"',
      '-- "analytics"."b" analytics.b',
      '-- dev duckdb analytics',
      '-- 10 fallback 7',
      '-- ci dflt',
    ]);
  });

  it('answers is_incremental() with False (printed as Python does) and renders run_started_at', () => {
    const result = compile({ 'models/a.sql': "{{ is_incremental() }} {{ run_started_at }} {{ run_started_at.strftime('%Y-%m-%d') }}" });
    expect(sqlOf(result, 'a')).toBe('False 2024-05-06 07:08:09.123+00:00 2024-05-06');
  });

  it('calls macros from any model, macros calling macros, return() and {% do %}', () => {
    const result = compile({
      'macros/math.sql': '{% macro double(x) %}({{ x }} * 2){% endmacro %}\n{% macro quadruple(x) %}{{ double(double(x)) }}{% endmacro %}',
      'macros/lists.sql': "{% macro columns() %}{% set cols = [] %}{% do cols.append('a') %}{% do cols.append(double('b')) %}{{ return(cols) }}{% endmacro %}",
      'models/a.sql': "select {{ quadruple('x') }}, {{ columns() | join(', ') }}, {{ columns() | length }}",
    });
    expect(sqlOf(result, 'a')).toBe('select ((x * 2) * 2), a, (b * 2), 2');
    expect(Object.keys(result.manifest.macros).sort()).toEqual(['macro.shop.columns', 'macro.shop.double', 'macro.shop.quadruple']);
  });

  it('applies config() from the model over folder config and YAML properties', () => {
    const result = compile({
      'models/gold/a.sql': "{{ config(materialized='view', tags=['model']) }}select 1",
      'models/gold/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: A\n    config:\n      tags: [yaml]\n      alias: a_alias\n',
    }, { models: { gold: { '+materialized': 'table', '+tags': ['folder'] } } });
    const node = result.manifest.nodes['model.shop.a']!;
    expect(node.config).toMatchObject({ materialized: 'view', tags: ['folder', 'yaml', 'model'], alias: 'a_alias' });
    expect(node.relation.identifier).toBe('a_alias');
    expect(node.description).toBe('A');
    expect(node.patchPath).toBe('models/gold/schema.yml');
  });

  it('names custom schemas <target>_<custom>, unless generate_schema_name says otherwise', () => {
    const files = { 'models/gold/a.sql': 'select 1', 'models/b.sql': 'select 1' };
    const config = { models: { gold: { '+schema': 'gold' } } };
    expect(compile(files, config).manifest.nodes['model.shop.a']!.relation.schema).toBe('analytics_gold');
    const custom = compile({
      ...files,
      'macros/schemas.sql': '{% macro generate_schema_name(custom_schema_name, node) -%}\n{%- if custom_schema_name -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}\n{%- endmacro %}',
    }, config);
    expect(custom.manifest.nodes['model.shop.a']!.relation.schema).toBe('gold');
    expect(custom.manifest.nodes['model.shop.b']!.relation.schema).toBe('analytics');
  });
});

describe('compileProject: ephemeral models', () => {
  const result = compile({
    'models/e1.sql': "{{ config(materialized='ephemeral') }}select 1 as id",
    'models/e2.sql': "{{ config(materialized='ephemeral') }}select id + 1 as id from {{ ref('e1') }}",
    'models/uses_both.sql': "select * from {{ ref('e2') }} join {{ ref('e1') }} using (id)",
    'models/own_with.sql': "-- leading comment\nwith mine as (select * from {{ ref('e2') }})\nselect * from mine",
  });

  it('inlines ephemeral parents, and theirs, as CTEs in dependency order', () => {
    expect(sqlOf(result, 'uses_both')).toBe(
      'with __smelt_cte__e1 as (\nselect 1 as id\n),\n__smelt_cte__e2 as (\nselect id + 1 as id from __smelt_cte__e1\n)\nselect * from __smelt_cte__e2 join __smelt_cte__e1 using (id)',
    );
  });

  it("merges into a model's own WITH", () => {
    expect(sqlOf(result, 'own_with')).toBe(
      '-- leading comment\nwith __smelt_cte__e1 as (\nselect 1 as id\n),\n__smelt_cte__e2 as (\nselect id + 1 as id from __smelt_cte__e1\n),\nmine as (select * from __smelt_cte__e2)\nselect * from mine',
    );
  });
});

describe('compileProject: errors', () => {
  it('collects errors from every file into one report', () => {
    const errors = compileErrors({
      'models/a.sql': "select * from {{ ref('missing') }}",
      'models/b.sql': 'select {{ var("nope") }}',
      'models/c.sql': '\n\n{{ no_such_macro() }}',
      'models/d.sql': 'select 1\n{% if %}',
      'models/e.sql': "select * from {{ source('raw', 'nothing') }}",
    });
    expect(errors.map((e) => [e.location.file, e.location.line, e.location.node])).toEqual([
      ['models/a.sql', 1, 'model.shop.a'],
      ['models/b.sql', 1, 'model.shop.b'],
      ['models/c.sql', 3, 'model.shop.c'],
      ['models/d.sql', 2, 'model.shop.d'],
      ['models/e.sql', 1, 'model.shop.e'],
    ]);
    for (const error of errors) expect(error.hint, error.message).toBeTruthy();
  });

  it('reports an unknown ref at its line with the closest model name', () => {
    const [error] = compileErrors({ 'models/orders.sql': 'select 1', 'models/a.sql': "select 1\nfrom {{ ref('ordrs') }}" });
    expect(error!.message).toBe("ref('ordrs'): no model or seed named 'ordrs'");
    expect(error!.location).toMatchObject({ file: 'models/a.sql', line: 2, node: 'model.shop.a' });
    expect(error!.hint).toBe("Did you mean 'orders'?");
  });

  it('reports template syntax and render errors at 1-based lines', () => {
    const [syntax] = compileErrors({ 'models/a.sql': 'select 1\n\n  {{ 1 + }}' });
    expect(syntax!.message).toMatch(/^Template syntax error/);
    expect(syntax!.location).toMatchObject({ file: 'models/a.sql', line: 3 });
    const [render] = compileErrors({ 'models/a.sql': "{{ exceptions.raise_compiler_error('stop here') }}" });
    expect(render!.message).toBe('stop here');
    expect(render!.location).toMatchObject({ file: 'models/a.sql', line: 1 });
  });

  it('reports a syntax error in a macro file at its own line', () => {
    const [error] = compileErrors({ 'macros/m.sql': '{% macro m() %}\n{% if %}\n{% endmacro %}', 'models/a.sql': 'select 1' });
    expect(error!.location).toMatchObject({ file: 'macros/m.sql', line: 2 });
  });

  it('prints a cycle as the whole chain of refs, at the first ref', () => {
    const [error] = compileErrors({
      'models/a.sql': "select * from {{ ref('b') }}",
      'models/b.sql': "select *\nfrom {{ ref('c') }}",
      'models/c.sql': "select * from {{ ref('a') }}",
      'models/ok.sql': 'select 1',
    });
    expect(error!.message).toBe('Dependency cycle: a > b > c > a');
    expect(error!.location).toMatchObject({ file: 'models/a.sql', line: 1, node: 'model.shop.a' });
  });

  it('rejects two models with one name in different folders, naming both files', () => {
    const [error] = compileErrors({ 'models/bronze/orders.sql': 'select 1', 'models/gold/orders.sql': 'select 2' });
    expect(error!.message).toContain('models/bronze/orders.sql and models/gold/orders.sql');
    expect(error!.location.file).toBe('models/gold/orders.sql');
  });

  it('rejects an unknown materialization', () => {
    const [error] = compileErrors({ 'models/a.sql': "{{ config(materialized='tabel') }}select 1" });
    expect(error!.message).toBe("Unknown materialization 'tabel'");
    expect(error!.location.file).toBe('models/a.sql');
  });

  it('warns about properties for a model that does not exist', () => {
    const result = compile({ 'models/orders.sql': 'select 1', 'models/schema.yml': 'version: 2\nmodels:\n  - name: orderz\n' });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]!.location).toMatchObject({ file: 'models/schema.yml', line: 3 });
    expect(result.warnings[0]!.hint).toBe("Did you mean 'orders'?");
  });
});
