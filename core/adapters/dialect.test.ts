import { describe, expect, it } from 'vitest';
import { Dialect } from './dialect.js';

describe('Dialect.configuredColumn', () => {
  it('reads a configured column as dbt writes it, unquoted: PostgreSQL folds a plain name', () => {
    const pg = new Dialect('postgres');
    expect(pg.configuredColumn('ID')).toBe('id');
    expect(pg.configuredColumn('order_id')).toBe('order_id');
    expect(pg.configuredColumn('Order Id')).toBe('Order Id');
    expect(new Dialect('duckdb').configuredColumn('ID')).toBe('ID');
  });

  it('takes a name in double quotes as it is, for a column created quoted', () => {
    const pg = new Dialect('postgres');
    expect(pg.configuredColumn('"ID"')).toBe('ID');
    expect(pg.quote(pg.configuredColumn('"a""b"'))).toBe('"a""b"');
  });
});
