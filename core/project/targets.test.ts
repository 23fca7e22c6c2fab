import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { projectSchema } from './schemas.js';
import { resolveTarget } from './targets.js';

const project = projectSchema.parse({
  name: 'shop',
  target: 'dev',
  targets: {
    dev: { type: 'duckdb', path: 'target/dev.duckdb' },
    pg: {
      type: 'postgres',
      host: "{{ env_var('SHOP_HOST', 'db.local') }}",
      port: "{{ env_var('SHOP_PORT', '6543') }}",
      password: "{{ env_var('SHOP_PASSWORD') }}",
      schema: 'analytics',
    },
  },
});

describe('resolveTarget', () => {
  it("uses project.yml's target unless --target or SMELT_TARGET says otherwise", () => {
    expect(resolveTarget(project, undefined, {}).name).toBe('dev');
    expect(resolveTarget(project, undefined, { SMELT_TARGET: 'pg', SHOP_PASSWORD: 'x' }).name).toBe('pg');
    expect(resolveTarget(project, 'dev', { SMELT_TARGET: 'pg' }).name).toBe('dev');
  });

  it('renders env_var() values with their defaults and keeps the password as a secret', () => {
    const target = resolveTarget(project, 'pg', { SHOP_PASSWORD: 's3cret', SHOP_HOST: 'pg.example' });
    expect(target.config).toMatchObject({ type: 'postgres', host: 'pg.example', port: 6543, password: 's3cret', schema: 'analytics' });
    expect(target.secrets).toEqual(['s3cret']);
  });

  it('fails on a missing env var without a default, naming it', () => {
    const error = catchError(() => resolveTarget(project, 'pg', {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("Environment variable 'SHOP_PASSWORD' used by target 'pg' is not set");
    expect(error.location.file).toBe('project.yml');
  });

  it('fails on an unknown target and lists the defined ones', () => {
    const error = catchError(() => resolveTarget(project, 'prod', {}));
    expect(error.message).toContain("'prod'");
    expect(error.hint).toBe('Defined targets: dev, pg.');
  });

  it('defaults to embedded DuckDB when no targets are declared', () => {
    const target = resolveTarget(projectSchema.parse({ name: 'x' }), undefined, {});
    expect(target.config).toMatchObject({ type: 'duckdb', schema: 'main' });
  });

  it('fills in Postgres settings from the libpq environment variables', () => {
    const bare = projectSchema.parse({ name: 'x', targets: { pg: { type: 'postgres' } } });
    const target = resolveTarget(bare, undefined, { PGHOST: 'h', PGPORT: '7777', PGUSER: 'u', PGDATABASE: 'd', PGPASSWORD: 'pw' });
    expect(target.config).toMatchObject({ host: 'h', port: 7777, user: 'u', database: 'd', password: 'pw', schema: 'public' });
    expect(target.secrets).toEqual(['pw']);
  });
});

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected an error');
}
