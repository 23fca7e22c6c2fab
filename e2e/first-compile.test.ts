import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrecompiledTemplates } from '../dist/core/template/template-precompile.js';
import { FixtureProject } from './support/project.js';

/*
 * A big project's first compile generates template code on a worker thread while the YAML is
 * parsed (core/template/template-precompile.ts). It must compile exactly what a compile without
 * the worker compiles, report template errors as before, and leave the template cache written.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const MODELS = PrecompiledTemplates.THRESHOLD + 20;

function bigProject(extra: Record<string, string> = {}): FixtureProject {
  const files: Record<string, string> = {
    'macros/cents.sql': '{% macro cents(col) %}round({{ col }} * 100)::bigint{% endmacro %}',
    'models/m0000.sql': "{{ config(materialized='table') }}\nselect 1 as id, 2.5 as amount",
  };
  for (let i = 1; i < MODELS; i++) {
    const name = `m${String(i).padStart(4, '0')}`;
    const parent = `m${String(Math.floor(i / 2)).padStart(4, '0')}`;
    files[`models/${name}.sql`] = `{% set cols = ['id', 'amount'] %}\nselect {% for c in cols %}{{ c }}, {% endfor %}{{ cents('amount') }} as cents_${i}, '{{ var("tag", "x") }}' as tag\nfrom {{ ref('${parent}') }}`;
  }
  const project = new FixtureProject('duckdb', { ...files, ...extra });
  projects.push(project);
  return project;
}

const compiledSql = (project: FixtureProject): Record<string, string> => {
  const manifest = JSON.parse(readFileSync(join(project.dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, { compiledSql: string }> };
  return Object.fromEntries(Object.entries(manifest.nodes).map(([id, node]) => [id, node.compiledSql]));
};

describe('template code generated on a worker thread', () => {
  it('compiles a big project the same with and without it, and writes the template cache', async () => {
    const project = bigProject();
    const cold = await project.cli('compile', '-q');
    expect(cold.code).toBe(0);
    const templates = JSON.parse(readFileSync(join(project.dir, 'target/partial/templates.json'), 'utf8')) as { templates: Record<string, string> };
    expect(Object.keys(templates.templates).length).toBeGreaterThanOrEqual(MODELS);
    const withWorker = compiledSql(project);
    expect(withWorker['model.fixture.m0003']).toMatch(/select id, amount, round\(amount \* 100\)::bigint as cents_3, 'x' as tag\nfrom .*m0001/);

    // Renders again from the template cache: no worker (templates.json exists).
    rmSync(join(project.dir, 'target/partial/renders.json'));
    rmSync(join(project.dir, 'target/manifest.json'));
    expect((await project.cli('compile', '-q')).code).toBe(0);
    expect(compiledSql(project)).toEqual(withWorker);
  });

  it('reports a template error with its file and line on a first compile', async () => {
    const project = bigProject({ 'models/zz_broken.sql': 'select 1 as a,\n  {{ 1 + }} as b' });
    const result = await project.cli('compile');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/models\/zz_broken\.sql:2/);
    expect(existsSync(join(project.dir, 'target/manifest.json'))).toBe(false);
  });
});
