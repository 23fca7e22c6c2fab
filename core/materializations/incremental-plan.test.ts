import { describe, expect, it } from 'vitest';
import { goldenFiles } from '../../e2e/support/golden.js';
import { Dialect } from '../adapters/dialect.js';
import { ConfigError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { ascendingDue, ascendingKeyType, ascendingNotes, ASCENDING_RETRY_CAP, diffColumns, incrementalConfig, planApply, planSchemaChange, planStaging, stagingKind, tryAscending, type IncrementalConfig } from './incremental-plan.js';
import type { BuildNotes } from './materialization.js';

/* Golden SQL for each incremental strategy and schema-change mode, per dialect (UPDATE_GOLDEN=1 rewrites). */

const expectGolden = goldenFiles(import.meta.url);

const target = { schema: 'analytics', identifier: 'fct_events' };
const columns = ['event_id', 'user_id', 'amount'];
const base: IncrementalConfig = { strategy: 'append', uniqueKey: [], onSchemaChange: 'ignore', predicates: [], excludeColumns: [] };

function node(config: Record<string, unknown>): CompiledNode {
  return {
    uniqueId: 'model.p.fct_events', resourceType: 'model', name: 'fct_events', packageName: 'p', path: 'models/fct_events.sql', fqn: ['p', 'fct_events'],
    description: '', tags: [], columns: {}, meta: {}, config: { materialized: 'incremental', enabled: true, tags: [], ...config },
    relation: target, rawSql: '', compiledSql: '', dependsOn: { nodes: [], macros: [] }, checksum: '', stateChecksum: '', startLine: 1,
  };
}

describe.each(['duckdb', 'postgres'])('incremental SQL on %s', (dialectName) => {
  const dialect = new Dialect(dialectName);
  const staging = dialect.tempRelation('fct_events__incr__smelt_tmp');
  it('append, with the staging of the batch (a view: read once)', () =>
    expectGolden(`${dialectName}/incremental-append.sql`, [planStaging(dialect, staging, 'select 1 as event_id;', stagingKind(base)), ...planApply(dialect, target, staging, columns, base)]));
  it('stages in a table where the batch is read twice or columns may be altered', () => {
    expect(planStaging(dialect, staging, 'select 1 as event_id;', 'table')).toMatch(/^create temp table /);
    expect(stagingKind({ ...base, onSchemaChange: 'fail' })).toBe('view');
    // append ignores unique_key, as dbt's does: its batch is read once all the same.
    expect(stagingKind({ ...base, uniqueKey: ['event_id'] })).toBe('view');
    expect(stagingKind({ ...base, uniqueKey: ['event_id'] }, { queryColumns: true })).toBe('none');
    expect(stagingKind({ ...base, onSchemaChange: 'append_new_columns' }, { queryColumns: true })).toBe('table');
    expect(stagingKind({ ...base, strategy: 'merge', uniqueKey: ['event_id'] }, { queryColumns: true })).toBe('table');
    expect(stagingKind({ ...base, strategy: 'merge', uniqueKey: ['event_id'] }, { queryColumns: true, mergeCanRaise: true })).toBe('none');
    expect(stagingKind({ ...base, strategy: 'delete+insert', uniqueKey: ['event_id'] }, { queryColumns: true, mergeCanRaise: true })).toBe('table');
    expect(stagingKind({ ...base, onSchemaChange: 'append_new_columns' })).toBe('table');
    expect(stagingKind({ ...base, onSchemaChange: 'sync_all_columns' })).toBe('table');
    expect(stagingKind({ ...base, strategy: 'merge', uniqueKey: ['event_id'] })).toBe('table');
    expect(stagingKind({ ...base, strategy: 'delete+insert', uniqueKey: ['event_id'] })).toBe('table');
  });
  it('append straight from the query, where the adapter can describe a query (nothing staged)', () => {
    expectGolden(`${dialectName}/incremental-append-direct.sql`, planApply(dialect, target, { query: 'with b as (select 1 as event_id) select * from b -- the batch;' }, columns, base));
    if (!dialect.mergeCanRaise()) expect(() => planApply(dialect, target, { query: 'select 1' }, columns, { ...base, strategy: 'delete+insert', uniqueKey: ['event_id'] })).toThrow(/must be staged/);
  });
  it('delete+insert straight from the query where MERGE can raise (DuckDB): a MERGE that fails on any key the table has', () => {
    const di = { ...base, strategy: 'delete+insert' as const, uniqueKey: ['event_id', 'user_id'], predicates: ['DBT_INTERNAL_DEST.amount > 0'] };
    expect(stagingKind(di, { queryColumns: true, mergeCanRaise: true })).toBe('table');
    expect(stagingKind(di, { queryColumns: true, mergeCanRaise: dialect.mergeCanRaise(), newKeysOnly: true })).toBe(dialect.mergeCanRaise() ? 'none' : 'table');
    expect(stagingKind({ ...di, onSchemaChange: 'append_new_columns' }, { queryColumns: true, mergeCanRaise: true, newKeysOnly: true })).toBe('table');
    if (!dialect.mergeCanRaise()) return;
    expectGolden(`${dialectName}/incremental-delete-insert-direct.sql`, planApply(dialect, target, { query: 'select * from batch;' }, columns, di));
  });
  it('merge straight from the query where MERGE can raise (DuckDB): the NULL-key guard is a clause', () => {
    const merge = { ...base, strategy: 'merge' as const, uniqueKey: ['event_id', 'user_id'] };
    if (!dialect.mergeCanRaise()) {
      expect(() => planApply(dialect, target, { query: 'select 1' }, columns, merge)).toThrow(/must be staged/);
      return;
    }
    expectGolden(`${dialectName}/incremental-merge-direct.sql`, planApply(dialect, target, { query: 'select * from batch;' }, columns, merge));
  });
  it('merge and delete+insert of keys above the table\'s largest (DuckDB): one insert that fails on a NULL key or a key not above it', () => {
    const merge = { ...base, strategy: 'merge' as const, uniqueKey: ['event_id', 'user_id'], predicates: ['DBT_INTERNAL_DEST.amount > 0'] };
    const canRaise = dialect.raise('x') !== undefined;
    expect(tryAscending(merge, { queryColumns: true, canRaise })).toBe(canRaise);
    expect(tryAscending({ ...merge, onSchemaChange: 'sync_all_columns' }, { queryColumns: true, canRaise: true })).toBe(false);
    expect(tryAscending({ ...base, uniqueKey: ['event_id'] }, { queryColumns: true, canRaise: true })).toBe(false);
    if (!canRaise) {
      expect(() => planApply(dialect, target, { query: 'select 1' }, columns, merge, { ascending: true })).toThrow(/must be staged/);
      return;
    }
    // The same statement for both strategies: with no key to match, each only inserts.
    const sql = planApply(dialect, target, { query: 'select * from batch;' }, columns, merge, { ascending: true });
    expectGolden(`${dialectName}/incremental-ascending.sql`, sql);
    expect(planApply(dialect, target, { query: 'select * from batch;' }, columns, { ...merge, strategy: 'delete+insert' }, { ascending: true })).toEqual(sql);
    expect(() => planApply(dialect, target, staging, columns, merge, { ascending: true })).toThrow(/ascending-keys insert/);
    expect(() => planApply(dialect, target, { query: 'select 1' }, ['user_id', 'amount'], merge, { ascending: true })).toThrow(/ascending-keys insert/);
    expect(() => planApply(dialect, target, { query: 'select 1' }, columns, { ...base, uniqueKey: ['event_id'] }, { ascending: true })).toThrow(/ascending-keys insert/);
  });
  it('delete+insert on a composite key with a predicate', () =>
    expectGolden(`${dialectName}/incremental-delete-insert.sql`, planApply(dialect, target, staging, columns, { ...base, strategy: 'delete+insert', uniqueKey: ['event_id', 'user_id'], predicates: ["DBT_INTERNAL_DEST.amount > 0"] })));
  it('delete+insert and merge from a staged batch, the NULL-key guard inside them where the dialect can raise (DuckDB)', () => {
    const di = { ...base, strategy: 'delete+insert' as const, uniqueKey: ['event_id', 'user_id'] };
    const merge = { ...base, strategy: 'merge' as const, uniqueKey: ['event_id'] };
    if (!dialect.raise('x')) {
      expect(() => planApply(dialect, target, staging, columns, di, { guardNullKeys: true })).toThrow(/cannot raise/);
      return;
    }
    expectGolden(`${dialectName}/incremental-delete-insert-guarded.sql`, planApply(dialect, target, staging, columns, di, { guardNullKeys: true }));
    expectGolden(`${dialectName}/incremental-merge-guarded.sql`, planApply(dialect, target, staging, columns, merge, { guardNullKeys: true }));
    // append ignores unique_key: nothing to guard.
    expect(planApply(dialect, target, staging, columns, { ...base, uniqueKey: ['event_id'] }, { guardNullKeys: true })).toEqual(planApply(dialect, target, staging, columns, base));
  });
  it('merge', () => expectGolden(`${dialectName}/incremental-merge.sql`, planApply(dialect, target, staging, columns, { ...base, strategy: 'merge', uniqueKey: ['event_id'] })));
  it('merge with merge_exclude_columns', () =>
    expectGolden(`${dialectName}/incremental-merge-exclude.sql`, planApply(dialect, target, staging, columns, { ...base, strategy: 'merge', uniqueKey: ['event_id'], excludeColumns: ['amount'] })));
  it('sync_all_columns', () => {
    const diff = diffColumns(
      [{ name: 'event_id', dataType: 'integer' }, { name: 'old', dataType: 'text' }, { name: 'amount', dataType: 'integer' }],
      [{ name: 'event_id', dataType: 'integer' }, { name: 'amount', dataType: 'bigint' }, { name: 'new_col', dataType: 'text' }],
    );
    expectGolden(`${dialectName}/incremental-sync-all-columns.sql`, planSchemaChange(dialect, target, diff, 'sync_all_columns'));
    expect(planSchemaChange(dialect, target, diff, 'append_new_columns')).toHaveLength(1);
    expect(planSchemaChange(dialect, target, diff, 'ignore')).toEqual([]);
  });
});

// Only PostgreSQL's adapter offers indexLookup; DuckDB prunes the join by the batch's min/max.
describe('incremental SQL on postgres, keys looked up through an index', () => {
  const dialect = new Dialect('postgres');
  const staging = dialect.tempRelation('fct_events__incr__smelt_tmp');
  it('merge and delete+insert looking keys up through an index', () => {
    const config: IncrementalConfig = { ...base, strategy: 'merge', uniqueKey: ['event_id', 'user_id'], predicates: ['DBT_INTERNAL_DEST.amount > 0'] };
    expectGolden(`postgres/incremental-merge-lookup.sql`, planApply(dialect, target, staging, columns, config, { lookup: true }));
    expectGolden(`postgres/incremental-delete-insert-lookup.sql`, planApply(dialect, target, staging, columns, { ...config, strategy: 'delete+insert' }, { lookup: true }));
    expect(planApply(dialect, target, staging, columns, base, { lookup: true })).toEqual(planApply(dialect, target, staging, columns, base));
  });
});

describe('keys above the table\'s largest', () => {
  const config: IncrementalConfig = { ...base, strategy: 'merge', uniqueKey: ['Event_ID', 'user_id'] };
  const col = (name: string, dataType: string) => ({ name, dataType });
  it('go by the first key column only where it has one ordered type in table and batch', () => {
    expect(ascendingKeyType(config, [col('event_id', 'BIGINT')], [col('EVENT_ID', 'BIGINT')])).toBe(true);
    for (const type of ['INTEGER', 'DECIMAL(18, 3)', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'UUID']) {
      expect(ascendingKeyType(config, [col('event_id', type)], [col('event_id', type)]), type).toBe(true);
    }
    // Another type on either side, a collation-prone or unordered type, or no such column.
    expect(ascendingKeyType(config, [col('event_id', 'INTEGER')], [col('event_id', 'BIGINT')])).toBe(false);
    for (const type of ['VARCHAR', 'DOUBLE', 'BOOLEAN', 'INTEGER[]', 'STRUCT(a INTEGER)', 'TIME WITH TIME ZONE']) {
      expect(ascendingKeyType(config, [col('event_id', type)], [col('event_id', type)]), type).toBe(false);
    }
    expect(ascendingKeyType(config, [col('id', 'BIGINT')], [col('event_id', 'BIGINT')])).toBe(false);
    expect(ascendingKeyType({ ...config, uniqueKey: [] }, [col('event_id', 'BIGINT')], [col('event_id', 'BIGINT')])).toBe(false);
  });
  it('are tried again after a miss, skipping twice as many steps after each miss in a row, up to the cap', () => {
    let notes: BuildNotes | undefined;
    const tried: number[] = [];
    // A model whose batches never ascend: the steps that try.
    for (let step = 1; step <= 300; step++) {
      if (!ascendingDue(notes)) notes = ascendingNotes(notes, 'skipped');
      else {
        tried.push(step);
        notes = ascendingNotes(notes, 'missed');
      }
    }
    expect(tried.slice(0, 8)).toEqual([1, 3, 6, 11, 20, 37, 70, 135]);
    expect(tried.at(-1)! - tried.at(-2)!).toBe(ASCENDING_RETRY_CAP + 1);
    // A key type with no order to go by waits the most steps at once.
    expect(ascendingNotes(undefined, 'unfit')).toEqual({ ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: ASCENDING_RETRY_CAP });
    // One hit resets it all; with no notes at all, the step tries.
    expect(ascendingNotes(notes, 'ascending')).toEqual({ ascendingKeys: true });
    expect(ascendingDue(undefined)).toBe(true);
    expect(ascendingDue({ newKeysOnly: false })).toBe(true);
  });
});

describe('incrementalConfig', () => {
  it('defaults as dbt: delete+insert with a unique_key, append without', () => {
    expect(incrementalConfig(node({})).strategy).toBe('append');
    expect(incrementalConfig(node({ unique_key: 'id' })).strategy).toBe('delete+insert');
    expect(incrementalConfig(node({ unique_key: ['a', 'b'] })).uniqueKey).toEqual(['a', 'b']);
    expect(incrementalConfig(node({ unique_key: 'a, b' })).uniqueKey).toEqual(['a', 'b']);
  });
  it('rejects unknown strategies, missing keys and unknown schema-change modes', () => {
    expect(() => incrementalConfig(node({ incremental_strategy: 'upsert' }))).toThrow(ConfigError);
    expect(() => incrementalConfig(node({ incremental_strategy: 'merge' }))).toThrow(/needs a unique_key/);
    expect(() => incrementalConfig(node({ on_schema_change: 'drop' }))).toThrow(/on_schema_change/);
  });
  it('diffColumns ignores case and spacing in type names', () => {
    const diff = diffColumns([{ name: 'A', dataType: 'DECIMAL(12, 2)' }], [{ name: 'a', dataType: 'decimal(12,2)' }]);
    expect(diff).toEqual({ added: [], removed: [], retyped: [] });
  });
});
