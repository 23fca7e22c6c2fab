import type { ColumnMeta } from '../adapters/adapter.js';
import { stripTrailingSemicolon, type Dialect } from '../adapters/dialect.js';
import { ConfigError } from '../errors.js';
import type { CompiledNode, RelationName } from '../manifest/types.js';
import type { BuildNotes } from './materialization.js';

export type IncrementalStrategy = 'append' | 'merge' | 'delete+insert';
export type OnSchemaChange = 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns';

export const STRATEGIES: readonly IncrementalStrategy[] = ['append', 'merge', 'delete+insert'];
export const SCHEMA_CHANGE_MODES: readonly OnSchemaChange[] = ['ignore', 'fail', 'append_new_columns', 'sync_all_columns'];

/** dbt's aliases, so `incremental_predicates` written for dbt work unchanged. */
export const DEST = 'DBT_INTERNAL_DEST';
export const SOURCE = 'DBT_INTERNAL_SOURCE';

export interface IncrementalConfig {
  strategy: IncrementalStrategy;
  uniqueKey: string[];
  onSchemaChange: OnSchemaChange;
  predicates: string[];
  updateColumns?: string[];
  excludeColumns: string[];
}

/** Reads and checks the incremental settings of a node; the default strategy is dbt's. */
export function incrementalConfig(node: CompiledNode): IncrementalConfig {
  const c = node.config;
  const where = { file: node.path, node: node.uniqueId };
  const uniqueKey = c.unique_key === undefined || c.unique_key === null ? [] : Array.isArray(c.unique_key) ? c.unique_key.map(String) : String(c.unique_key).split(',').map((k) => k.trim()).filter(Boolean);
  // dbt: delete+insert when there is a unique_key, append otherwise (on both adapters).
  const strategy = (c.incremental_strategy ?? (uniqueKey.length > 0 ? 'delete+insert' : 'append')) as IncrementalStrategy;
  if (!STRATEGIES.includes(strategy)) throw new ConfigError(`Unknown incremental_strategy '${String(strategy)}'`, where, `Use one of: ${STRATEGIES.join(', ')}.`);
  if (strategy !== 'append' && uniqueKey.length === 0) throw new ConfigError(`incremental_strategy '${strategy}' needs a unique_key`, where, "Add unique_key='id' (or a list) to the model's config, or use 'append'.");
  const onSchemaChange = (c.on_schema_change ?? 'ignore') as OnSchemaChange;
  if (!SCHEMA_CHANGE_MODES.includes(onSchemaChange)) throw new ConfigError(`Unknown on_schema_change '${String(onSchemaChange)}'`, where, `Use one of: ${SCHEMA_CHANGE_MODES.join(', ')}.`);
  const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  return {
    strategy,
    uniqueKey,
    onSchemaChange,
    predicates: list(c.incremental_predicates),
    ...(c.merge_update_columns !== undefined ? { updateColumns: list(c.merge_update_columns) } : {}),
    excludeColumns: list(c.merge_exclude_columns),
  };
}

export interface SchemaDiff {
  added: ColumnMeta[];
  removed: ColumnMeta[];
  retyped: { name: string; from: string; to: string }[];
}

export function diffColumns(target: readonly ColumnMeta[], incoming: readonly ColumnMeta[]): SchemaDiff {
  const byName = (cols: readonly ColumnMeta[]) => new Map(cols.map((c) => [c.name.toLowerCase(), c]));
  const t = byName(target);
  const n = byName(incoming);
  return {
    added: incoming.filter((c) => !t.has(c.name.toLowerCase())),
    removed: target.filter((c) => !n.has(c.name.toLowerCase())),
    retyped: incoming
      .filter((c) => t.has(c.name.toLowerCase()) && normalizeType(t.get(c.name.toLowerCase())!.dataType) !== normalizeType(c.dataType))
      .map((c) => ({ name: c.name, from: t.get(c.name.toLowerCase())!.dataType, to: c.dataType })),
  };
}

export function isEmptyDiff(diff: SchemaDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.retyped.length === 0;
}

function normalizeType(type: string): string {
  return type.toLowerCase().replace(/\s+/g, '');
}

/** ALTER statements that bring the target's columns in line, per on_schema_change. */
export function planSchemaChange(dialect: Dialect, target: RelationName, diff: SchemaDiff, mode: OnSchemaChange): string[] {
  const table = dialect.relation(target);
  if (mode === 'append_new_columns' || mode === 'sync_all_columns') {
    const statements = diff.added.map((c) => `alter table ${table} add column ${dialect.quote(c.name)} ${c.dataType}`);
    if (mode === 'sync_all_columns') {
      statements.push(...diff.removed.map((c) => `alter table ${table} drop column ${dialect.quote(c.name)}`));
      statements.push(...diff.retyped.map((c) => `alter table ${table} alter column ${dialect.quote(c.name)} set data type ${c.to} using cast(${dialect.quote(c.name)} as ${c.to})`));
    }
    return statements;
  }
  return [];
}

/**
 * How the new batch is staged. A session-local table (no WAL, never in the database file) when
 * the batch is read more than once: the NULL-key check (where not part of the apply),
 * delete+insert and merge. An append
 * reads it once (it ignores unique_key, as dbt's does), so where no column may be altered
 * nothing is staged: the model's query runs inside the insert itself ('none', where the adapter
 * can tell a query's columns without running it, `Adapter.queryColumns`), else in a temp view.
 * A merge reads it once too; where MERGE can raise an error (DuckDB's `then error`), the
 * NULL-key guard becomes a clause of the merge and nothing is staged either (bench P4, DuckDB:
 * 59 to 68 ms staged, 48 to 56 ms not). So does delete+insert expecting only new keys
 * (`newKeysOnly`, from the run state): its MERGE fails on any key the table has.
 * Bench P4, DuckDB, 100,000 rows into 10M: staged in a table 59 to 73 ms, a view 46 to 56 ms,
 * the query in the insert 36 to 40 ms. Not when columns may be altered: a view or query
 * reading the target (`{{ this }}`) would stand in the way of PostgreSQL's ALTER, and would no
 * longer match the altered table on DuckDB.
 */
export function stagingKind(config: IncrementalConfig, options: { queryColumns?: boolean; mergeCanRaise?: boolean; newKeysOnly?: boolean } = {}): StagingKind {
  if (!altersNothing(config)) return 'table';
  if (config.strategy === 'append') return options.queryColumns ? 'none' : 'view';
  if (config.strategy === 'merge' && options.queryColumns && options.mergeCanRaise) return 'none';
  // delete+insert expecting only new keys: one MERGE from the query that fails on any match
  // (planApply), after which the step runs again staged. See newKeysOnly in incremental.ts.
  if (config.strategy === 'delete+insert' && options.newKeysOnly && options.queryColumns && options.mergeCanRaise) return 'none';
  return 'table';
}

export type StagingKind = 'table' | 'view' | 'none';

/** Steps skipped at most between two tries of the ascending-keys insert after it missed. */
export const ASCENDING_RETRY_CAP = 64;

/** Whether this step tries its batch as ascending keys, by the last step's notes. */
export function ascendingDue(last: BuildNotes | undefined): boolean {
  return last?.ascendingKeys !== false || (last.ascendingRetryIn ?? 0) <= 0;
}

/**
 * The ascending-keys notes after this step. A miss costs a rolled-back insert, so after one the
 * next steps skip the try, twice as many after each further miss in a row (1, 2, 4 ... up to
 * ASCENDING_RETRY_CAP): a model whose keys never ascend tries less and less often, at last once
 * in 65 steps, and one whose batch once held a late key tries again two steps later. A key
 * column whose type cannot tell ('unfit', see ascendingKeyType) waits the most steps at once.
 */
export function ascendingNotes(last: BuildNotes | undefined, outcome: 'ascending' | 'missed' | 'unfit' | 'skipped'): BuildNotes {
  if (outcome === 'ascending') return { ascendingKeys: true };
  const misses = last?.ascendingKeys === false ? (last.ascendingMisses ?? 1) : 0;
  if (outcome === 'skipped') return { ascendingKeys: false, ascendingMisses: misses, ascendingRetryIn: Math.max(0, (last?.ascendingRetryIn ?? 0) - 1) };
  // A key type with no order to go by seldom changes: look again only after the most steps.
  if (outcome === 'unfit') return { ascendingKeys: false, ascendingMisses: misses + 1, ascendingRetryIn: ASCENDING_RETRY_CAP };
  return { ascendingKeys: false, ascendingMisses: misses + 1, ascendingRetryIn: Math.min(2 ** misses, ASCENDING_RETRY_CAP) };
}

/**
 * Whether merge and delete+insert first try their batch as keys above the table's largest: one
 * insert straight from the query (planApply's `ascending`), where no column may be altered, the
 * adapter can tell the query's columns, and the dialect can raise inside a statement (DuckDB).
 */
export function tryAscending(config: IncrementalConfig, options: { queryColumns?: boolean; canRaise?: boolean }): boolean {
  return config.strategy !== 'append' && altersNothing(config) && !!options.queryColumns && !!options.canRaise;
}

/** Whether on_schema_change leaves the target's columns as they are. */
function altersNothing(config: IncrementalConfig): boolean {
  return config.onSchemaChange === 'ignore' || config.onSchemaChange === 'fail';
}

/** The batch as planApply reads it: the staging relation, or the model's query itself ('none'). */
export type BatchSource = RelationName | { query: string };

export function planStaging(dialect: Dialect, staging: RelationName, sql: string, kind: 'table' | 'view' = 'table'): string {
  return kind === 'view' ? dialect.createTempViewAs(staging, sql) : dialect.createTempTableAs(staging, sql);
}

export interface ApplyOptions {
  /**
   * Look the batch's keys up through an index that starts with the first unique_key column:
   * `DEST.k = any(array(select k from staging))`, which is true of every row the key match can
   * pick, so it changes nothing but the plan (an index scan instead of a hash join over the
   * whole target). Only where such an index exists: without one it is a linear search per row.
   */
  lookup?: boolean;
  /**
   * Fail the step on a batch row with a NULL in the unique_key (NULL_KEY_ERROR) inside the
   * statements that read the batch, instead of a count before them: where the dialect can raise
   * (DuckDB). Always so unstaged (a merge or delete+insert straight from the query).
   */
  guardNullKeys?: boolean;
  /**
   * merge or delete+insert straight from the query, for a batch whose first unique_key column
   * sorts after every value the table has (ascendingKeys): then no batch row can match one in
   * the table, and both strategies only insert. One insert that fails the statement on a NULL
   * key (NULL_KEY_ERROR) or on a first key column not above the table's largest
   * (NOT_ASCENDING_ERROR), after which the step runs again as the strategy has it. Only where
   * the dialect can raise, and where that column has the same type in batch and table (see
   * ascendingKeyType).
   */
  ascending?: boolean;
}

/**
 * The statements that apply the new rows in `staging` to `target`, for the columns both have.
 * Pure: golden files pin them per strategy and dialect. The last one reports the rows written.
 */
export function planApply(dialect: Dialect, target: RelationName, staging: BatchSource, columns: readonly string[], config: IncrementalConfig, options: ApplyOptions = {}): string[] {
  const t = dialect.relation(target);
  const fromQuery = 'query' in staging;
  if (fromQuery && !(config.strategy === 'append' || dialect.mergeCanRaise())) {
    throw new Error(`${config.strategy} on ${dialect.name} reads its batch more than once: it must be staged`);
  }
  const batch = fromQuery ? `(\n${stripTrailingSemicolon(staging.query)}\n)` : dialect.relation(staging);
  const q = (c: string) => dialect.quote(c);
  const columnList = columns.map(q).join(', ');
  const guardNullKeys = config.strategy !== 'append' && (fromQuery || options.guardNullKeys === true);
  const raise = guardNullKeys ? dialect.raise(NULL_KEY_ERROR) : undefined;
  if (guardNullKeys && !raise) throw new Error(`${dialect.name} cannot raise an error inside a statement: count NULL keys before applying the batch`);
  const anyNullKey = config.uniqueKey.map((k) => `${SOURCE}.${q(k)} is null`).join(' or ');
  const insert = `insert into ${t} (${columnList})\nselect ${columnList} from ${fromQuery ? `${batch} as ${SOURCE}` : batch}`;
  const first = config.uniqueKey[0];
  const lookup = options.lookup && !fromQuery && first !== undefined ? [`${DEST}.${q(first)} = any(array(select ${q(first)} from ${batch}))`] : [];
  // Key equality first: predicates and the lookup only narrow which target rows can match.
  const match = [...config.uniqueKey.map((k) => `${SOURCE}.${q(k)} = ${DEST}.${q(k)}`), ...config.predicates.map((p) => `(${p})`), ...lookup];
  const settings = dialect.smallBatchSettings();
  // One MERGE shape for merge and for delete+insert straight from the query: what a matched row
  // does differs; the NULL-key guard (a row with one never matches) and the insert do not.
  const mergeWith = (matched: string): string =>
    `merge into ${t} as ${DEST}\nusing ${batch} as ${SOURCE}\non ${match.join('\n  and ')}\n${matched}` +
    (guardNullKeys ? `when not matched and (${anyNullKey}) then error ${dialect.literal(NULL_KEY_ERROR)}\n` : '') +
    `when not matched then insert (${columnList})\n  values (${columns.map((c) => `${SOURCE}.${q(c)}`).join(', ')})`;
  if (options.ascending) {
    const key = first === undefined ? undefined : columns.find((c) => c.toLowerCase() === first.toLowerCase());
    if (!fromQuery || config.strategy === 'append' || key === undefined) throw new Error('the ascending-keys insert is for merge or delete+insert straight from the query, with the first unique_key column among the columns');
    // The guard is the value inserted for the first key column, so it only sees rows the model's
    // query returns: as a condition it could be joined in ahead of the model's own filters. The
    // table's largest key is read once, as a one-row join; an empty table's (NULL) matches nothing.
    const k = q(key);
    const guarded = `case\n    when ${anyNullKey} then ${raise}\n    when ${LARGEST}.${k} is null or ${SOURCE}.${k} > ${LARGEST}.${k} then ${SOURCE}.${k}\n    else ${dialect.raise(NOT_ASCENDING_ERROR)}\n  end`;
    return [
      ...settings,
      `insert into ${t} (${columnList})\nselect ${columns.map((c) => (c === key ? guarded : `${SOURCE}.${q(c)}`)).join(', ')}\n` +
        `from ${batch} as ${SOURCE},\n  (select max(${k}) as ${k} from ${t}) as ${LARGEST}`,
    ];
  }
  switch (config.strategy) {
    case 'append':
      return [...settings, insert];
    case 'delete+insert':
      if (fromQuery) {
        // Straight from the query, the batch is read once: as a MERGE that inserts every row and
        // fails on a row whose key the table already has (NEW_KEYS_ONLY_ERROR). With no match
        // the delete would have deleted nothing, so this is delete+insert exactly; with one, the
        // transaction rolls back and the step runs again with the batch staged.
        return [...settings, mergeWith(`when matched then error ${dialect.literal(NEW_KEYS_ONLY_ERROR)}\n`)];
      }
      // A join (not `where exists`): DuckDB then prunes the target's scan by the batch's min/max
      // key; `exists` became a semi join on IS NOT DISTINCT FROM that read all of it.
      // Guarded, the insert reads the batch as SOURCE and fails on its first NULL key: such a
      // row matched nothing in the delete, and would be duplicated by every later run.
      return [
        ...settings,
        `delete from ${t} as ${DEST}\nusing ${batch} as ${SOURCE}\nwhere ${match.join('\n  and ')}`,
        raise ? `insert into ${t} (${columnList})\nselect ${columnList} from ${batch} as ${SOURCE}\nwhere not (${anyNullKey}) or ${raise}` : insert,
      ];
    case 'merge': {
      const keys = new Set(config.uniqueKey.map((k) => k.toLowerCase()));
      const excluded = new Set(config.excludeColumns.map((c) => c.toLowerCase()));
      const updates = (config.updateColumns ?? columns).filter((c) => !keys.has(c.toLowerCase()) && !excluded.has(c.toLowerCase()));
      const matched = updates.length > 0 ? `when matched then update set\n  ${updates.map((c) => `${q(c)} = ${SOURCE}.${q(c)}`).join(',\n  ')}\n` : '';
      return [...settings, mergeWith(matched)];
    }
  }
}

/** The error the guarded statements raise on a NULL key (DuckDB: `then error '...'`, `error(...)`). */
export const NULL_KEY_ERROR = 'smelt: a new row has a NULL in the unique_key';

/** The error the ascending-keys insert raises on a batch key that does not sort after the table's keys. */
export const NOT_ASCENDING_ERROR = 'smelt: a batch key does not sort after the keys the table has';

/** The one-row relation holding the table's largest first key column, in the ascending-keys insert. */
const LARGEST = 'SMELT_LARGEST_KEY';

/**
 * Whether the ascending-keys insert may stand in for merge and delete+insert: the first unique_key
 * column has the same type in the table and the batch, one whose order agrees with its equality
 * (integers, decimals, dates, timestamps, UUIDs). Then `batch key > max(table key)` rules out a match.
 * A cast between two types could order values as neither does and match one it ordered below.
 */
export function ascendingKeyType(config: IncrementalConfig, target: readonly ColumnMeta[], batch: readonly ColumnMeta[]): boolean {
  const first = config.uniqueKey[0]?.toLowerCase();
  if (first === undefined) return false;
  const inTable = target.find((c) => c.name.toLowerCase() === first);
  const inBatch = batch.find((c) => c.name.toLowerCase() === first);
  if (!inTable || !inBatch || normalizeType(inTable.dataType) !== normalizeType(inBatch.dataType)) return false;
  return ORDERED_KEY_TYPE.test(normalizeType(inTable.dataType));
}

// After normalizeType (lower case, no spaces). Not text: a collation (a column's COLLATE, or
// default_collation) can make equality looser than the binary order max() may use.
const ORDERED_KEY_TYPE = /^(tinyint|smallint|integer|int|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint|int2|int4|int8|decimal(\(\d+,\d+\))?|numeric(\(\d+,\d+\))?|date|timestamp|timestampwithtimezone|timestamptz|timestamp_s|timestamp_ms|timestamp_ns|uuid)$/;

/** The error delete+insert straight from the query raises when a batch key is already in the table. */
export const NEW_KEYS_ONLY_ERROR = 'smelt: the batch has a key the table already has';

/** Rows of the new batch (a staged relation or the model's query) whose unique key has a NULL part. */
export function nullKeyCount(dialect: Dialect, batch: BatchSource, uniqueKey: readonly string[]): string {
  const from = 'query' in batch ? `(\n${stripTrailingSemicolon(batch.query)}\n) as ${SOURCE}` : dialect.relation(batch);
  return `select count(*) as n from ${from} where ${uniqueKey.map((k) => `${dialect.quote(k)} is null`).join(' or ')}`;
}

