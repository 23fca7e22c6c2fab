import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectFile } from './load-project.js';
import { resolveProfileTarget } from './profiles.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-profiles-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const home = folder({});

describe('dbt_project.yml', () => {
  it("reads dbt's keys, older spellings included, and warns about unknown ones at their line", () => {
    const dir = folder({ 'dbt_project.yml': 'name: shop\nprofile: warehouse\nsource-paths: [src]\ndata-paths: [data]\nlog-path: logs\nbogus: 1\nmodels:\n  shop:\n    +materialized: table\n' });
    const { config, warnings, file } = readProjectFile(dir);
    expect(file).toBe('dbt_project.yml');
    expect(config['model-paths']).toEqual(['src']);
    expect(config['seed-paths']).toEqual(['data']);
    expect(config.profile).toBe('warehouse');
    expect(config.models).toEqual({ shop: { '+materialized': 'table' } });
    expect(warnings.map((w) => [w.message, w.location.line])).toEqual([["Unknown key 'bogus' is ignored", 6]]);
  });

  it('prefers project.yml when a folder has both', () => {
    const dir = folder({ 'project.yml': 'name: mine\n', 'dbt_project.yml': 'name: theirs\n' });
    expect(readProjectFile(dir).config.name).toBe('mine');
  });
});

describe('profiles.yml', () => {
  const project = { name: 'shop', profile: 'warehouse' } as Parameters<typeof resolveProfileTarget>[1];
  const profiles = `warehouse:
  target: "{{ env_var('WHICH', 'local') }}"
  outputs:
    local:
      type: duckdb
      path: dev.duckdb
      extensions: [httpfs]
    pg:
      type: postgres
      host: db
      port: "{{ env_var('PORT') | as_number }}"
      user: etl
      pass: "{{ env_var('SECRET') }}"
      dbname: analytics
      schema: marts
      threads: 8
      keepalives_idle: 0
`;

  it("maps dbt's output keys to a target, renders env_var() and warns about what it ignores", () => {
    const dir = folder({ 'profiles.yml': profiles });
    const env = { WHICH: 'pg', PORT: '6543', SECRET: 's3cret' };
    const { target, profileName, file, warnings } = resolveProfileTarget(dir, project, undefined, { env, home });
    expect([profileName, file, target.name]).toEqual(['warehouse', 'profiles.yml', 'pg']);
    expect(target.config).toEqual({ type: 'postgres', host: 'db', port: 6543, user: 'etl', password: 's3cret', database: 'analytics', schema: 'marts', threads: 8 });
    expect(target.secrets).toContain('s3cret');
    expect(warnings.map((w) => [w.message, w.location.line])).toEqual([["Target 'pg': 'keepalives_idle' is not supported by smelt and is ignored", 17]]);
  });

  it('takes the target from --target, defaults DuckDB to schema main, and finds ~/.dbt/profiles.yml', () => {
    const dir = folder({});
    const homeWithProfiles = folder({ '.dbt/profiles.yml': profiles });
    const { target, warnings } = resolveProfileTarget(dir, project, 'local', { env: {}, home: homeWithProfiles });
    expect(target.config).toEqual({ type: 'duckdb', path: 'dev.duckdb', schema: 'main' });
    expect(warnings[0]!.message).toContain("'extensions' is not supported");
  });

  it('names the profile, target or variable that is missing', () => {
    const dir = folder({ 'profiles.yml': profiles });
    expect(() => resolveProfileTarget(dir, { ...project, profile: 'nope' }, undefined, { env: {}, home })).toThrow("Profile 'nope' is not in profiles.yml");
    expect(() => resolveProfileTarget(dir, project, 'prod', { env: {}, home })).toThrow("Target 'prod' is not an output of profile 'warehouse'");
    expect(() => resolveProfileTarget(dir, project, 'pg', { env: {}, home })).toThrow("Environment variable 'PORT' used in profiles.yml (warehouse.outputs.pg.port) is not set");
  });

  it('builds on embedded DuckDB when there is no profiles.yml', () => {
    const { target, file } = resolveProfileTarget(folder({}), project, undefined, { env: {}, home });
    expect(file).toBeUndefined();
    expect(target.config).toEqual({ type: 'duckdb', path: 'target/smelt.duckdb', schema: 'main' });
  });
});
