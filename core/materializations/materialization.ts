import type { Adapter, Connection, DependentView, RelationInfo } from '../adapters/adapter.js';
import type { Dialect } from '../adapters/dialect.js';
import type { CompiledNode, Manifest } from '../manifest/types.js';
import type { RelationCache } from '../runner/relation-cache.js';

/** Everything a materialization needs to build one node. */
export interface BuildContext {
  node: CompiledNode;
  /** The SQL to materialize (compiled, or re-rendered for is_incremental()). */
  sql: string;
  adapter: Adapter;
  connection: Connection;
  fullRefresh: boolean;
  /** Renders the node's SQL again with is_incremental() answering `isIncremental`. */
  render(isIncremental: boolean): string;
  /** The whole manifest, for materializations that read their sources' declarations (cdc_current, cdc_history). */
  manifest?: Manifest;  /** The run's view of what exists (one listing per schema); without it, each build asks. */
  relations?: RelationCache;
  /** What the node's last successful build on this target noted for the next one (run state). */
  lastBuild?: BuildNotes;
}

/**
 * What a build learns that the node's next build can use, kept in the run state. A hint only:
 * a missing or stale note costs time, never correctness.
 */
export interface BuildNotes {
  /** delete+insert: the step's batch had only keys the table did not have yet. */
  newKeysOnly?: boolean;
  /**
   * merge, delete+insert (DuckDB): whether the last try found every batch key above the
   * table's largest (the ascending-keys insert). After a miss: misses in a row, and steps to
   * skip before the next try (ascendingNotes).
   */
  ascendingKeys?: boolean;
  ascendingMisses?: number;
  ascendingRetryIn?: number;
}

/** The relation a node will replace, from the run's cache when there is one. */
export async function existingRelation(context: BuildContext): Promise<RelationInfo | undefined> {
  const { adapter, connection, node, relations } = context;
  return relations ? relations.get(connection, node.relation) : adapter.getRelation(connection, node.relation);
}

export interface BuildOutcome {
  rowsAffected?: number;
  /** Short word for the run log: "view", "table", "incremental". */
  message: string;
  /** The statements that were executed, in order (written under target/run/). */
  statements: string[];
  warnings: string[];
  /** For the node's next build (BuildNotes). */
  notes?: BuildNotes;
}

/** What plan() needs to know about the warehouse: pure data, so plans can be pinned by golden files. */
export interface PlanInput {
  node: CompiledNode;
  sql: string;
  existing: RelationInfo | undefined;
  dialect: Dialect;
  cascade: boolean;
}

/**
 * One way of turning a model's SELECT into a relation. `plan` is pure (golden-tested per
 * dialect); `build` runs the plan atomically against the database.
 */
export interface Materialization {
  readonly name: string;
  build(context: BuildContext): Promise<BuildOutcome>;
}

/**
 * Runs statements in one transaction; views that a CASCADE drops are recreated before commit.
 * Statements from `swapFrom` on replace the live relation: where that drops dependent views,
 * swaps take turns (the slow part before it, such as building a table, still runs in parallel).
 */
export async function runAtomically(
  context: BuildContext,
  statements: string[],
  rowsFrom: number | undefined,
  swapFrom = 0,
): Promise<{ rowsAffected?: number; warnings: string[] }> {
  const { adapter, connection, node } = context;
  const warnings: string[] = [];
  let rowsAffected: number | undefined;
  const execute = async (from: number, to: number): Promise<void> => {
    for (let index = from; index < to; index++) {
      const result = await connection.execute(statements[index]!);
      if (index === rowsFrom) rowsAffected = result.rowsAffected;
    }
  };
  await connection.transaction(async () => {
    await execute(0, swapFrom);
    let dependents: DependentView[] = [];
    if (adapter.capabilities.dropCascadesDependentViews) {
      await adapter.serializeSwap?.(connection);
      // Read after the lock: a swap that just committed may have recreated them.
      dependents = await adapter.dependentViews(connection, node.relation);
    }
    await execute(swapFrom, statements.length);
    for (const view of dependents) {
      const relation = { schema: view.schema, identifier: view.name };
      if (await adapter.getRelation(connection, relation)) continue;
      await connection.execute('savepoint smelt_dependent');
      try {
        await connection.execute(`create view ${adapter.dialect.relation(relation)} as ${view.definition}`);
        await connection.execute('release savepoint smelt_dependent');
      } catch (error) {
        await connection.execute('rollback to savepoint smelt_dependent');
        warnings.push(`view ${view.schema}.${view.name} depends on ${node.name} and could not be recreated (${(error as Error).message}); it is dropped until it is rebuilt`);
      }
    }
  });
  return { rowsAffected, warnings };
}

/**
 * One statement that is atomic by itself (a first build's CREATE, a CREATE OR REPLACE VIEW), so
 * no transaction is needed. On an error the cache is dropped, in case it was wrong (a relation
 * created or changed behind its back), and the error stands: the next lookup sees the truth.
 */
export async function createOnly(context: BuildContext, statements: string[]): Promise<{ rowsAffected?: number; warnings: string[] }> {
  try {
    const result = await context.connection.execute(statements[0]!);
    return { rowsAffected: result.rowsAffected, warnings: [] };
  } catch (error) {
    context.relations?.invalidate(context.node.relation);
    throw error;
  }
}
