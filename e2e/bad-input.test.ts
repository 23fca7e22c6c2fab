import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CASES, type BadInputCase } from './fixtures/bad-input/cases.js';
import { STACK_LINE } from './support/expect-output.js';
import { dialects, FixtureProject, PG, type DialectName } from './support/project.js';

/*
 * Every broken input of the corpus (e2e/fixtures/bad-input/cases.ts) on a project that was
 * built first: the right exit code and message, the file and line where one applies, no stack
 * trace, and the relations built before left exactly as they were.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const BASE = {
  'models/keep_me.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'kept' as name\n",
  'seeds/raw_keep.csv': 'id,name\n1,a\n',
};

/** Cases that reach the database run on both; the others (parsing, rendering) on DuckDB only. */
function runsOn(c: BadInputCase, dialect: DialectName): boolean {
  if (c.only) return c.only === dialect;
  return dialect === 'duckdb' || /^(SQL|CSV|CDC)/.test(c.name);
}

function extraTargets(): string {
  const base = `    type: postgres\n    host: ${PG.host}\n    port: ${PG.port}\n    connect_timeout: 3\n`;
  return [
    `  unreachable:\n    type: postgres\n    host: 127.0.0.1\n    port: 1\n    user: postgres\n    database: test\n    connect_timeout: 3\n`,
    `  nodb:\n${base}    user: ${PG.user}\n    database: smelt_no_such_database\n`,
    `  norole:\n${base}    user: smelt_no_such_role\n    database: ${PG.database}\n`,
  ].join('');
}

describe.each(await dialects())('bad input on %s', (dialect) => {
  const cases = CASES.filter((c) => runsOn(c, dialect));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const project = new FixtureProject(dialect, BASE, { name: 'shop' });
    projects.push(project);
    const original = readFileSync(join(project.dir, 'project.yml'), 'utf8');
    const targets = original.slice(original.indexOf('target: dev'));
    if (dialect === 'postgres') project.write({ 'project.yml': `${original}${extraTargets()}` });
    const built = await project.cli('build');
    expect(built.code, built.stdout + built.stderr).toBe(0);

    for (const [path, text] of Object.entries(c.files)) {
      if (text === '' && path !== 'seeds/bad.csv') project.remove(path);
      else if (text.startsWith('latin1:')) writeFileSync(join(project.dir, path), Buffer.from(text.slice('latin1:'.length), 'latin1'));
      else if (path === 'project.yml' && !text.includes('targets:')) project.write({ [path]: `${text}\n${targets}` });
      else project.write({ [path]: text });
    }
    const saved = { ...process.env };
    Object.assign(process.env, c.env ?? {});
    let result;
    try {
      result = await project.cli(...(c.args ?? ['build']));
    } finally {
      process.env = saved;
    }
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(c.exit);
    expect(output).toMatch(c.message);
    if (c.where) expect(output).toMatch(c.where);
    expect(output).not.toMatch(STACK_LINE);
    expect(output).not.toContain('internal error');

    // Nothing built before was changed.
    const kept = await project.query<{ id: number; name: string }>(`select id, name from ${project.schema}.keep_me`);
    expect(kept).toEqual([{ id: 1, name: 'kept' }]);
    const seeded = await project.query<{ n: number }>(`select count(*) as n from ${project.schemaFor()}.raw_keep`);
    expect(Number(seeded[0]!.n)).toBe(1);
  });
});

it('the corpus has at least 50 cases', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(50);
});
