import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunContext } from '../template/context.js';
import { TemplateEnvironment } from '../template/environment.js';
import { compileProject, type CompileResult } from './compile-project.js';
import { renderCachePath } from './render-cache.js';
import { project, runContext } from './test-support.js';

const folders: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Compiles `files` against a target/ folder that persists between calls; counts model renders. */
function compiler(config: Record<string, unknown> = {}) {
  const targetPath = mkdtempSync(join(tmpdir(), 'smelt-render-cache-'));
  folders.push(targetPath);
  return {
    targetPath,
    compile(files: Record<string, string>, run: Partial<RunContext> = {}, secrets: string[] = []): { result: CompileResult; rendered: string[] } {
      const render = vi.spyOn(TemplateEnvironment.prototype, 'render');
      try {
        const result = compileProject({ project: project(files, config), run: runContext(run), targetName: 'dev', smeltVersion: '0.0.0-test', targetPath, secrets });
        const rendered = render.mock.calls.map(([source]) => source.path).filter((path) => path.startsWith('models/'));
        return { result, rendered: [...new Set(rendered)].sort() };
      } finally {
        render.mockRestore();
      }
    },
  };
}

const sql = (result: CompileResult, name: string) => result.manifest.nodes[`model.shop.${name}`]!.compiledSql.trim();

const base = {
  'models/stg_orders.sql': "{{ config(materialized='table', tags=['daily']) }}\nselect {{ var('amount_column', 'amount') }} as amount from {{ source('raw', 'orders') }}",
  'models/fct_orders.sql': "select *, {{ cents('amount') }} as cents from {{ ref('stg_orders') }}",
  'models/dim_region.sql': "select '{{ target.schema }}' as region",
  'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: orders\n',
  'macros/cents.sql': '{% macro cents(column) %}{{ column }} * 100{% endmacro %}',
};

describe('render cache (partial parsing)', () => {
  it('renders nothing again when nothing changed, and the manifest is the same', () => {
    const c = compiler();
    const first = c.compile(base);
    expect(first.rendered).toEqual(['models/dim_region.sql', 'models/fct_orders.sql', 'models/stg_orders.sql']);
    const second = c.compile(base);
    expect(second.rendered).toEqual([]);
    for (const id of Object.keys(first.result.manifest.nodes)) {
      const { compiledSql, config, dependsOn, checksum, stateChecksum, relation } = first.result.manifest.nodes[id]!;
      expect(second.result.manifest.nodes[id]).toMatchObject({ compiledSql, config, dependsOn, checksum, stateChecksum, relation });
    }
    expect(second.result.manifest.nodes['model.shop.stg_orders']!.config).toMatchObject({ materialized: 'table', tags: ['daily'] });
    expect(second.result.manifest.parentMap).toEqual(first.result.manifest.parentMap);
  });

  it("renders a changed file again, and only it", () => {
    const c = compiler();
    c.compile(base);
    const { result, rendered } = c.compile({ ...base, 'models/dim_region.sql': "select 'north' as region" });
    expect(rendered).toEqual(['models/dim_region.sql']);
    expect(sql(result, 'dim_region')).toBe("select 'north' as region");
  });

  it('renders again the models that read a var whose value changed', () => {
    const c = compiler();
    c.compile(base);
    const { result, rendered } = c.compile(base, { vars: { amount_column: 'total' } });
    expect(rendered).toEqual(['models/stg_orders.sql']);
    expect(sql(result, 'stg_orders')).toContain('select total as amount');
    // ...and back to the default when the var is unset again.
    const again = c.compile(base);
    expect(again.rendered).toEqual(['models/stg_orders.sql']);
    expect(sql(again.result, 'stg_orders')).toContain('select amount as amount');
  });

  it('renders every model again when a macro changes', () => {
    const c = compiler();
    c.compile(base);
    const { result, rendered } = c.compile({ ...base, 'macros/cents.sql': '{% macro cents(column) %}({{ column }} * 100)::bigint{% endmacro %}' });
    expect(rendered).toHaveLength(3);
    expect(sql(result, 'fct_orders')).toContain('(amount * 100)::bigint as cents');
  });

  it('follows a target field the model read, and ignores the ones it did not', () => {
    const c = compiler();
    c.compile(base);
    expect(c.compile(base, { target: { name: 'dev', type: 'duckdb', schema: 'analytics', threads: 8 } }).rendered).toEqual([]);
    const { result, rendered } = c.compile(base, { target: { name: 'dev', type: 'duckdb', schema: 'staging', threads: 1 } });
    // The schema is in every relation too: the two models that name relations are re-rendered by their fingerprint.
    expect(rendered).toContain('models/dim_region.sql');
    expect(sql(result, 'dim_region')).toBe("select 'staging' as region");
    expect(sql(result, 'fct_orders')).toContain('"staging"."stg_orders"');
  });

  it('follows environment variables', () => {
    const c = compiler();
    const files = { ...base, 'models/dim_region.sql': "select '{{ env_var('REGION', 'none') }}' as region" };
    c.compile(files);
    expect(c.compile(files, { env: { OTHER: 'x' } }).rendered).toEqual([]);
    const { result, rendered } = c.compile(files, { env: { REGION: 'west' } });
    expect(rendered).toEqual(['models/dim_region.sql']);
    expect(sql(result, 'dim_region')).toBe("select 'west' as region");
  });

  it('renders a model again when a relation it names is renamed elsewhere (config in YAML, a source)', () => {
    const c = compiler();
    c.compile(base);
    const moved = c.compile({ ...base, 'models/props.yml': 'version: 2\nmodels:\n  - name: stg_orders\n    config:\n      schema: staging\n' });
    expect(moved.rendered).toEqual(['models/fct_orders.sql', 'models/stg_orders.sql']);
    expect(sql(moved.result, 'fct_orders')).toContain('"analytics_staging"."stg_orders"');
    const source = c.compile({ ...base, 'models/sources.yml': base['models/sources.yml'].replace('landing', 'raw_landing') });
    expect(sql(source.result, 'stg_orders')).toContain('"raw_landing"."orders"');
  });

  it('follows ephemeral parents: a model that becomes ephemeral is inlined into its children', () => {
    const c = compiler();
    c.compile(base);
    const files = { ...base, 'models/stg_orders.sql': base['models/stg_orders.sql'].replace("'table'", "'ephemeral'") };
    const { result } = c.compile(files);
    expect(sql(result, 'fct_orders')).toMatch(/^with __smelt_cte__stg_orders as/);
  });

  it('never caches a render that read run_started_at or invocation_id', () => {
    const c = compiler();
    const files = { ...base, 'models/dim_region.sql': "select '{{ run_started_at }}' as at, '{{ invocation_id }}' as id" };
    c.compile(files);
    const { result, rendered } = c.compile(files, { runStartedAt: new Date('2030-01-01T00:00:00Z'), invocationId: 'inv-2' });
    expect(rendered).toEqual(['models/dim_region.sql']);
    expect(sql(result, 'dim_region')).toMatch(/^select '2030-01-01 00:00:00[.0]*\+00:00' as at, 'inv-2' as id$/);
  });

  it('never writes a secret to the cache: a render holding one is rendered every time', () => {
    const c = compiler();
    const files = { ...base, 'models/dim_region.sql': "select '{{ env_var('SMELT_SECRET_TOKEN') }}' as token" };
    const env = { SMELT_SECRET_TOKEN: 's3cr3t-value' };
    c.compile(files, { env }, ['s3cr3t-value']);
    expect(readFileSync(renderCachePath(c.targetPath), 'utf8')).not.toContain('s3cr3t-value');
    const { result, rendered } = c.compile(files, { env }, ['s3cr3t-value']);
    expect(rendered).toEqual(['models/dim_region.sql']);
    expect(sql(result, 'dim_region')).toBe("select 's3cr3t-value' as token");
  });

  it('treats a damaged cache file as no cache', () => {
    const c = compiler();
    c.compile(base);
    writeFileSync(renderCachePath(c.targetPath), '{"version": broken');
    const { result, rendered } = c.compile(base);
    expect(rendered).toHaveLength(3);
    expect(sql(result, 'fct_orders')).toContain('amount * 100 as cents');
    expect(c.compile(base).rendered).toEqual([]);
  });

  it('reports errors of a model whose ref disappeared, even though its own file is unchanged', () => {
    const c = compiler();
    c.compile(base);
    const { 'models/stg_orders.sql': _gone, ...rest } = base;
    expect(() => c.compile(rest)).toThrow(/ref\('stg_orders'\)/);
  });
});
