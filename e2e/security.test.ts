import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, FixtureProject } from './support/project.js';

/*
 * Secrets (SMELT_SECRET_* / DBT_ENV_SECRET_* env vars, target passwords) never reach logs or
 * target/; identifiers that are SQL keywords or odd names are quoted, never SQL text.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const SECRET = 'sEcReT-7f3a9-token';
const PASSWORD = 'pAsSwOrD-91b2';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe.each(await dialects())('secrets and identifiers on %s', (dialect) => {
  it('redacts secret env vars and the target password from output, logs and target/', async () => {
    const project = new FixtureProject(dialect, {
      'models/uses_secret.sql': "select '{{ env_var('SMELT_SECRET_API_TOKEN') }}' as token, 1 as id\n",
      'models/fails_with_secret.sql': "select '{{ env_var('DBT_ENV_SECRET_KEY') }}' as k, * from no_such_table_{{ var('x', 1) }}\n",
    });
    projects.push(project);
    if (dialect === 'postgres') {
      // Trust auth ignores the password; it still must never be printed.
      project.write({ 'project.yml': readFileSync(join(project.dir, 'project.yml'), 'utf8').replace('    schema:', `    password: "{{ env_var('PGPASSWORD_FOR_TEST') }}"\n    schema:`) });
    }
    const env = { SMELT_SECRET_API_TOKEN: SECRET, DBT_ENV_SECRET_KEY: `${SECRET}-2`, PGPASSWORD_FOR_TEST: PASSWORD };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const run = await project.cli('run', '--debug');
      const json = await project.cli('run', '--log-format', 'json', '--debug');
      const debug = await project.cli('debug');
      expect(run.code).toBe(1); // fails_with_secret fails
      const printed = [run, json, debug].map((r) => r.stdout + r.stderr).join('\n');
      expect(printed).toContain('****');
      expect(printed).not.toContain(SECRET);
      expect(printed).not.toContain(PASSWORD);
      for (const file of filesUnder(join(project.dir, 'target')).filter((f) => !f.endsWith('.duckdb') && !f.endsWith('.wal'))) {
        const text = readFileSync(file, 'utf8');
        expect(text.includes(SECRET), file).toBe(false);
        expect(text.includes(PASSWORD), file).toBe(false);
      }
      // The warehouse itself got the real value.
      const rows = await project.query<{ token: string }>(`select token from ${project.schema}.uses_secret`);
      expect(rows[0]!.token).toBe(SECRET);
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('quotes identifiers: models named like SQL keywords and with odd characters build', async () => {
    const project = new FixtureProject(dialect, {
      'models/select.sql': "select 1 as \"from\", 'x; drop table y; --' as \"we ird\"\n",
      'models/order by.sql': "select \"from\" from {{ ref('select') }}\n",
    });
    projects.push(project);
    const result = await project.cli('run');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const rows = await project.query<{ from: number }>(`select * from "${project.schema}"."order by"`);
    expect(rows).toEqual([{ from: 1 }]);
  });
});
