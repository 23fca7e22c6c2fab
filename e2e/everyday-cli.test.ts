import { describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, fixtures } from './support/project.js';

/*
 * The everyday commands and flags beyond run: show, compile --inline, run-operation, retry,
 * source freshness, hooks, --log-format json, --debug, --vars, --fail-fast.
 */
const fixture = fixtures();

const FILES = {
  'models/orders.sql': "select * from (values (1, 'open', 10), (2, 'paid', 25), (3, 'paid', 40)) as t(order_id, status, amount)\n",
  'models/paid.sql': "{{ config(materialized='table', post_hook=\"insert into {{ target.schema }}.hook_log values ('post {{ this.identifier }}')\") }}\nselect * from {{ ref('orders') }} where status = '{{ var('status', 'paid') }}'\n",
  'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect order_id from {{ ref('orders') }}\n",
  'macros/ops.sql': `{% macro make_audit(name) -%}
{% do run_query('create schema if not exists ' ~ target.schema) %}
{% do run_query('create table ' ~ target.schema ~ '.' ~ name ~ ' (x integer)') %}
{% do run_query('insert into ' ~ target.schema ~ '.' ~ name ~ ' values (1), (2)') %}
{%- endmacro %}
`,
};

function projectYml(schemaHook: boolean): string {
  return `name: everyday
on-run-start:
  - "create table if not exists {{ target.schema }}.hook_log (message varchar)"
  - "insert into {{ target.schema }}.hook_log values ('start')"
on-run-end: "insert into {{ target.schema }}.hook_log values ('end')"
${schemaHook ? '' : ''}`;
}

describe.each(await dialects())('everyday CLI on %s', (dialect) => {
  it('runs project and model hooks in order', async () => {
    const project = fixture(dialect, FILES, projectYml(true));
    const result = await project.cli('run');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const log = await project.query<{ message: string }>(`select message from ${project.schema}.hook_log`);
    expect(log.map((r) => r.message)).toEqual(['start', 'post paid', 'end']);
  });

  it('show previews a model and an inline query; compile --inline prints SQL', async () => {
    const project = fixture(dialect, FILES, projectYml(true));
    expect((await project.cli('run')).code).toBe(0);
    const shown = await project.cli('show', '-s', 'paid', '--limit', '1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/\| order_id \| status \| amount \|/);
    expect(shown.stdout.split('\n').filter((l) => l.startsWith('|  '))).toHaveLength(1);
    const inline = await project.cli('show', '--inline', "select count(*) as n from {{ ref('eph') }}");
    expect(inline.stdout).toMatch(/\|\s+3 \|/);
    const compiled = await project.cli('compile', '--inline', "select * from {{ ref('paid') }} where amount > {{ var('min', 5) }}");
    expect(compiled.code).toBe(0);
    expect(compiled.stdout.trim()).toBe(`select * from "${project.schema}"."paid" where amount > 5`);
    const missing = await project.cli('show', '-s', 'nope');
    expectCleanFailure(missing, 2);
  });

  it('run-operation calls a macro and executes its run_query statements', async () => {
    const project = fixture(dialect, FILES);
    const result = await project.cli('run-operation', 'make_audit', '--args', '{name: audit_x}');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('3 statements executed');
    expect(await project.query(`select x from ${project.schema}.audit_x order by x`)).toHaveLength(2);
    expectCleanFailure(await project.cli('run-operation', 'make_audit2'), 2);
  });

  it('retry reruns only what failed or was skipped', async () => {
    const project = fixture(dialect, {
      ...FILES,
      'models/broken.sql': "select * from {{ ref('orders') }} where {{ var('broken_filter', 'no_such_column = 1') }}\n",
      'models/after_broken.sql': "select * from {{ ref('broken') }}\n",
    });
    const first = await project.cli('run', '--exclude', 'paid');
    expect(first.code).toBe(1);
    const retried = await project.cli('retry', '--vars', '{broken_filter: "1 = 1"}');
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toContain('Retrying 2 nodes of the last run: broken, after_broken');
    expect((await project.cli('retry')).stdout).toContain('Nothing to retry');
  });

  it('source freshness passes, warns and errors by loaded_at_field', async () => {
    const project = fixture(dialect, {
      'models/sources.yml': `version: 2
sources:
  - name: raw
    schema: ${project_schema_placeholder}
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: hour}
      error_after: {count: 1, period: day}
    tables:
      - name: fresh
      - name: stale
      - name: ancient
      - name: never
        freshness: null
`,
    });
    const schema = project.schema;
    await project.cli('debug');
    await project.query(`create schema if not exists ${schema}`);
    project.write({ 'models/sources.yml': (await import('node:fs')).readFileSync(`${project.dir}/models/sources.yml`, 'utf8').replace(project_schema_placeholder, schema) });
    for (const [table, hours] of [['fresh', 0], ['stale', 3], ['ancient', 48], ['never', 1000]] as const) {
      await project.query(`create table ${schema}.${table} as select cast(current_timestamp as timestamp) - interval '${hours} hours' as loaded_at`);
    }
    const result = await project.cli('source', 'freshness');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/PASS\s+freshness\s+raw\.fresh/);
    expect(result.stdout).toMatch(/WARN\s+freshness\s+raw\.stale/);
    expect(result.stdout).toMatch(/FAIL\s+freshness\s+raw\.ancient/);
    expect(result.stdout).not.toContain('raw.never');
    expect((await project.cli('source', 'freshness', '-s', 'source:raw.fresh')).code).toBe(0);
  });

  it('--log-format json prints one JSON object per event; --debug shows the SQL', async () => {
    const project = fixture(dialect, FILES, projectYml(true));
    const result = await project.cli('run', '--log-format', 'json', '-s', 'orders');
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string; rowsAffected?: number });
    expect(events.map((e) => e.event)).toEqual(['info', 'node_started', 'node_finished', 'run_summary']);
    expect(events[2]!.status).toBe('success');
    const failed = await project.cli('run', '--log-format', 'json', '-s', 'nope:x');
    expect(JSON.parse(failed.stdout.trim()).event).toBe('error');
    const debug = await project.cli('run', '--debug', '-s', 'orders');
    expect(debug.stderr).toMatch(/-- sql \([\d.]+ ms\)\ncreate or replace view/);
  });

  it('--fail-fast skips everything not yet started after the first failure', async () => {
    const project = fixture(dialect, {
      'models/a_bad.sql': 'select * from no_such_table\n',
      'models/b.sql': 'select 1 as x\n',
      'models/c.sql': "select * from {{ ref('b') }}\n",
    });
    const result = await project.cli('run', '--threads', '1', '--fail-fast');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/SKIP\s+view\s+b/);
  });
});

const project_schema_placeholder = '__SCHEMA__';
