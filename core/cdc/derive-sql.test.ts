import { describe, expect, it } from 'vitest';
import { goldenFiles } from '../../e2e/support/golden.js';
import { Dialect } from '../adapters/dialect.js';
import type { CdcSource } from './cdc-source.js';
import { createChangeLog, createStaging, insertBatch, mergeStaging, timestampLiteral } from './change-log.js';
import { currentStateSql, historySql, type DeriveInput } from './derive-sql.js';
import { jsonSqlFor, typedField } from './json-sql.js';

/*
 * Golden SQL: what loading a change log and deriving current state and history send on each
 * dialect (UPDATE_GOLDEN=1 npx vitest run core/cdc rewrites the files).
 */

const expectGolden = goldenFiles(import.meta.url);

const source: CdcSource = {
  uniqueId: 'source.shop.shop_cdc.customers',
  name: 'shop_cdc.customers',
  path: 'models/sources.yml',
  relation: { schema: 'raw_cdc', identifier: 'customers' },
  config: { path: ['cdc/customers/*.ndjson'], format: 'debezium', primary_key: ['id'], on_error: 'fail' },
  key: [{ name: 'id', dataType: 'integer' }],
  columns: [{ name: 'id', dataType: 'integer' }, { name: 'email', dataType: 'varchar' }, { name: 'signup_date', dataType: 'date' }, { name: 'updated_at', dataType: 'timestamp' }, { name: 'note' }],
};

describe.each(['duckdb', 'postgres'])('CDC SQL on %s', (name) => {
  const dialect = new Dialect(name);
  const json = jsonSqlFor(dialect);
  const input: DeriveInput = { dialect, json, changes: 'select * from "raw_cdc"."customers";', key: ['id'], columns: source.columns };

  it('change log and batch insert', () => {
    const staging = { schema: 'raw_cdc', identifier: 'customers__load__smelt_tmp' };
    expectGolden(`${name}/change-log.sql`, [
      ...createChangeLog(dialect, json, source),
      createStaging(dialect, json, source, staging),
      insertBatch(dialect, json, source, staging),
      mergeStaging(dialect, json, source, staging, timestampLiteral(new Date('2024-01-01T00:00:00Z'))),
    ]);
  });
  it('current state, whole and incremental', () => {
    expectGolden(`${name}/current-state.sql`, [currentStateSql(input), currentStateSql({ ...input, since: 42 })]);
  });
  it('history, whole and incremental', () => {
    expectGolden(`${name}/history.sql`, [historySql(input), historySql({ ...input, since: 42 })]);
  });
});

describe('typedField', () => {
  const json = jsonSqlFor(new Dialect('postgres'));
  it('reads text as it is, and dates and timestamps from epoch numbers too', () => {
    expect(typedField(json, 'a', 'x', undefined)).toBe(`(a ->> 'x')`);
    expect(typedField(json, 'a', 'x', 'numeric(12,2)')).toBe(`cast((a ->> 'x') as numeric(12,2))`);
    expect(typedField(json, 'a', 'x', 'jsonb')).toBe(`cast((a -> 'x') as jsonb)`);
    expect(typedField(json, 'a', 'd', 'date')).toContain(`cast('1970-01-01' as date) + cast((a ->> 'd') as integer)`);
    expect(typedField(json, 'a', 't', 'timestamp(6) without time zone')).toContain(`at time zone 'UTC'`);
    expect(typedField(json, 'a', 't', 'timestamptz')).not.toContain(`at time zone`);
  });
});
