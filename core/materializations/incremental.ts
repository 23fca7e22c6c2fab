import { DatabaseError } from '../errors.js';
import type { Adapter, ColumnMeta, Connection } from '../adapters/adapter.js';
import type { RelationName } from '../manifest/types.js';
import { existingRelation, type BuildContext, type BuildNotes, type BuildOutcome, type Materialization } from './materialization.js';
import { ascendingDue, ascendingKeyType, ascendingNotes, diffColumns, incrementalConfig, isEmptyDiff, NEW_KEYS_ONLY_ERROR, NOT_ASCENDING_ERROR, NULL_KEY_ERROR, nullKeyCount, planApply, planSchemaChange, planStaging, stagingKind, tryAscending, type IncrementalConfig, type StagingKind } from './incremental-plan.js';
import { TableMaterialization } from './table.js';
import { tempIdentifier } from './temp-name.js';

/**
 * dbt's incremental model. The first build, a --full-refresh, or a view in the way builds the
 * whole table (as `table` does). Otherwise the model is rendered with is_incremental() true,
 * its rows are staged in a session-local temp table (not logged, never in the database file;
 * created just before the transaction on DuckDB; a temp view, or no staging at all, where the
 * batch is read once: see stagingKind), schema changes are handled per on_schema_change, and
 * the rows are applied by the strategy in one transaction, so a failure changes nothing.
 * merge and delete+insert on DuckDB may first try their batch as keys above the table's largest
 * (one insert), and delete+insert then as new keys only (one MERGE); a try that fails rolls
 * back, and the step goes on to the next way.
 */
export class IncrementalMaterialization implements Materialization {
  readonly name = 'incremental';
  private readonly table = new TableMaterialization();

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const parsed = incrementalConfig(node);
    // unique_key names columns as dbt writes them into SQL: unquoted (Dialect.configuredColumn).
    const config = { ...parsed, uniqueKey: parsed.uniqueKey.map((k) => adapter.dialect.configuredColumn(k)) };
    const existing = await existingRelation(context);
    if (!existing || existing.type === 'view' || context.fullRefresh || node.config.full_refresh === true) {
      const outcome = await this.table.build({ ...context, sql: context.render(false) });
      // What the model's batches are like (new keys only, or not) outlives a rebuild of its table.
      return { ...outcome, message: existing ? 'full refresh' : 'incremental (first build)', ...(context.lastBuild ? { notes: context.lastBuild } : {}) };
    }
    const sql = context.render(true);
    const dialect = adapter.dialect;
    const options = { queryColumns: !!adapter.queryColumns, mergeCanRaise: dialect.mergeCanRaise() };
    const statements: string[] = [];
    const warnings: string[] = [];
    // A rolled-back attempt changed nothing; its warnings would be repeated by the next one, and
    // its statements stay in the run SQL, marked.
    const rolledBack = (why: string) => {
      warnings.length = 0;
      statements.push(`-- rolled back: ${why}`);
    };
    let step: StepResult | undefined;
    // merge and delete+insert first try their batch as keys above the table's largest (one
    // insert, planApply's `ascending`), unless recent steps found they were not (ascendingDue).
    let notes: BuildNotes = {};
    if (tryAscending(config, { queryColumns: options.queryColumns, canRaise: dialect.raise(NOT_ASCENDING_ERROR) !== undefined })) {
      if (!ascendingDue(context.lastBuild)) notes = ascendingNotes(context.lastBuild, 'skipped');
      else {
        try {
          step = await this.step(context, config, sql, 'none', statements, warnings, true);
          notes = ascendingNotes(context.lastBuild, 'ascending');
        } catch (error) {
          if (error instanceof UnorderedKey) {
            notes = ascendingNotes(context.lastBuild, 'unfit');
            rolledBack(`not tried as keys above the table's largest: ${error.message}`);
          } else if (isRaised(error, NOT_ASCENDING_ERROR)) {
            notes = ascendingNotes(context.lastBuild, 'missed');
            rolledBack('a batch key is not above the largest key the table has');
          } else throw error;
        }
      }
    }
    if (!step) {
      // delete+insert then tries its batch as new keys only (one MERGE from the query, nothing
      // staged) unless the last step on this table found keys it already had.
      const first = stagingKind(config, { ...options, newKeysOnly: context.lastBuild?.newKeysOnly !== false });
      try {
        step = await this.step(context, config, sql, first, statements, warnings);
      } catch (error) {
        if (!(first === 'none' && config.strategy === 'delete+insert' && isRaised(error, NEW_KEYS_ONLY_ERROR))) throw error;
        // A batch key is already in the table (nothing was changed): delete+insert as staged.
        rolledBack('the batch has keys the table already has; applied again, staged');
        step = await this.step(context, config, sql, stagingKind(config, options), statements, warnings);
      }
    }
    if (config.strategy === 'delete+insert') notes = { ...notes, newKeysOnly: step.deleted === 0 };
    await context.relations?.set(connection, node.relation, 'table');
    return {
      ...(step.rowsAffected !== undefined ? { rowsAffected: step.rowsAffected } : {}),
      message: `incremental (${config.strategy})`,
      statements,
      warnings,
      ...(Object.keys(notes).length > 0 ? { notes } : {}),
    };
  }

  /** One incremental step with the batch staged as `kind`, in one transaction. */
  private async step(context: BuildContext, config: IncrementalConfig, sql: string, kind: StagingKind, statements: string[], warnings: string[], ascending = false): Promise<StepResult> {
    const { adapter, connection, node } = context;
    const dialect = adapter.dialect;
    const staging = dialect.tempRelation(tempIdentifier(`${node.relation.identifier}__incr`));
    const execute = async (statement: string) => {
      statements.push(statement);
      return connection.execute(statement);
    };
    let rowsAffected: number | undefined;
    let deleted: number | undefined;
    const nullKeys = (nulls: number): DatabaseError =>
      new DatabaseError(
        `${nulls} new row${nulls === 1 ? ' has' : 's have'} a NULL in the unique_key (${config.uniqueKey.join(', ')}); they would never match and would be duplicated on every run`,
        { file: node.path, node: node.uniqueId },
        'Filter those rows out or coalesce the key columns in the model; the table was left unchanged.',
      );
    const countNullKeys = async (batch: typeof staging | { query: string }): Promise<number> => {
      const [row] = await connection.query<{ n: number | bigint }>(nullKeyCount(dialect, batch, config.uniqueKey));
      return Number(row?.n ?? 0);
    };
    // A temp table staged before the transaction (DuckDB, see stagesBeforeTransaction) is
    // dropped after it, committed or not; otherwise the staging lives and dies inside it.
    const before = kind === 'table' && dialect.stagesBeforeTransaction();
    // NULL keys fail the statements that apply the batch (no count first): unstaged (a merge
    // from the query), or staged where the dialect can raise an error (DuckDB).
    const guarded = config.strategy !== 'append' && (kind === 'none' || dialect.raise(NULL_KEY_ERROR) !== undefined);
    let batchRows: number | undefined;
    try {
      if (before) batchRows = (await execute(planStaging(dialect, staging, sql, kind))).rowsAffected;
      await connection.transaction(async () => {
        if (kind !== 'none' && !before) batchRows = (await execute(planStaging(dialect, staging, sql, kind))).rowsAffected;
        // Where the dialect can raise, the statements that apply the batch check its keys
        // themselves (planApply's guard); append ignores unique_key.
        if (!guarded && config.strategy !== 'append' && config.uniqueKey.length > 0) {
          const nulls = await countNullKeys(staging);
          if (nulls > 0) throw nullKeys(nulls);
        }
        const targetColumns = await adapter.getColumns(connection, node.relation);
        const incomingColumns = kind === 'none' ? await adapter.queryColumns!(connection, sql) : await adapter.getColumns(connection, staging);
        const diff = diffColumns(targetColumns, incomingColumns);
        if (!isEmptyDiff(diff)) {
          const described = describeDiff(diff);
          if (config.onSchemaChange === 'fail') {
            throw new DatabaseError(`The columns of ${node.name} changed (${described}) and on_schema_change is 'fail'`, { file: node.path, node: node.uniqueId }, "Run with --full-refresh, or set on_schema_change to 'append_new_columns' or 'sync_all_columns'.");
          }
          for (const statement of planSchemaChange(dialect, node.relation, diff, config.onSchemaChange)) await execute(statement);
          warnings.push(`columns changed (${described}); on_schema_change: ${config.onSchemaChange}`);
        }
        const finalColumns = config.onSchemaChange === 'append_new_columns' || config.onSchemaChange === 'sync_all_columns'
          ? incomingColumns.map((c) => c.name)
          : incomingColumns.filter((c) => targetColumns.some((t) => t.name.toLowerCase() === c.name.toLowerCase())).map((c) => c.name);
        if (ascending && !ascendingKeyType(config, targetColumns, incomingColumns)) throw new UnorderedKey(config, targetColumns, incomingColumns);
        const lookup = await useLookup(adapter, connection, node.relation, config, batchRows);
        const apply = planApply(dialect, node.relation, kind === 'none' ? { query: sql } : staging, finalColumns, config, { lookup, guardNullKeys: guarded, ascending });
        for (const [index, statement] of apply.entries()) {
          const result = await execute(statement);
          if (index === apply.length - 1) rowsAffected = result.rowsAffected;
          // Staged delete+insert: the delete is the one before the insert.
          if (config.strategy === 'delete+insert' && kind !== 'none' && index === apply.length - 2) deleted = result.rowsAffected;
        }
        if (kind !== 'none' && !before) await execute(dialect.drop(staging, kind));
      });
    } catch (error) {
      // The guard fired (and the transaction rolled back): count them for the message, in the
      // staged batch where it outlives the transaction, else by running the query again.
      if (guarded && isRaised(error, NULL_KEY_ERROR)) throw nullKeys(await countNullKeys(before ? staging : { query: sql }));
      throw error;
    } finally {
      // The step's own error (if any) is the one to report, not a failed drop.
      if (before) await execute(dialect.drop(staging, kind, { ifExists: true })).catch(() => undefined);
    }
    // From the query, delete+insert deleted nothing: its MERGE fails on any key the table has,
    // and keys above the table's largest match none.
    return { rowsAffected, deleted: kind === 'none' && config.strategy === 'delete+insert' ? 0 : deleted };
  }
}

/** The ascending-keys try cannot go by the first unique_key column's type (ascendingKeyType): nothing was applied. */
class UnorderedKey extends Error {
  constructor(config: IncrementalConfig, target: readonly ColumnMeta[], batch: readonly ColumnMeta[]) {
    const key = config.uniqueKey[0]!.toLowerCase();
    const type = (columns: readonly ColumnMeta[]) => columns.find((c) => c.name.toLowerCase() === key)?.dataType ?? 'missing';
    const [inTable, inBatch] = [type(target), type(batch)];
    super(inTable === inBatch ? `${config.uniqueKey[0]} is ${inTable}, whose order may disagree with its equality` : `${config.uniqueKey[0]} is ${inTable} in the table and ${inBatch} in the batch`);
  }
}

interface StepResult {
  rowsAffected?: number;
  /** Rows delete+insert deleted (undefined where the database did not say). */
  deleted?: number;
}

/** Whether `error` is the database raising smelt's own `message` (DuckDB's `error()` / `then error`). */
function isRaised(error: unknown, message: string): boolean {
  return error instanceof Error && error.message.includes(message);
}

/**
 * Whether to look the batch's keys up through the target's index (planApply's `lookup`): where
 * the adapter offers it, the key's first column leads an index, and the batch is at most a tenth
 * of the table. Past that, one scan of the target beats a lookup per key.
 */
async function useLookup(adapter: Adapter, connection: Connection, target: RelationName, config: IncrementalConfig, batchRows: number | undefined): Promise<boolean> {
  const first = config.uniqueKey[0];
  if (config.strategy === 'append' || first === undefined || batchRows === undefined || !adapter.indexLookup) return false;
  const { indexed, estimatedRows } = await adapter.indexLookup(connection, target, first);
  return indexed && batchRows * 10 <= estimatedRows;
}

function describeDiff(diff: ReturnType<typeof diffColumns>): string {
  const parts: string[] = [];
  if (diff.added.length) parts.push(`added ${diff.added.map((c) => c.name).join(', ')}`);
  if (diff.removed.length) parts.push(`removed ${diff.removed.map((c) => c.name).join(', ')}`);
  if (diff.retyped.length) parts.push(`retyped ${diff.retyped.map((c) => `${c.name} ${c.from} -> ${c.to}`).join(', ')}`);
  return parts.join('; ');
}
