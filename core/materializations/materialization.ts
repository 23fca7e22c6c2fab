import type { Adapter, Connection, RelationInfo } from '../adapters/adapter.js';
import type { Dialect } from '../adapters/dialect.js';
import type { CompiledNode } from '../manifest/types.js';

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
}

export interface BuildOutcome {
  rowsAffected?: number;
  /** Short word for the run log: "view", "table", "incremental". */
  message: string;
  /** The statements that were executed, in order (written under target/run/). */
  statements: string[];
  warnings: string[];
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

/** Runs statements in one transaction; views that a CASCADE drops are recreated before commit. */
export async function runAtomically(
  context: BuildContext,
  statements: string[],
  rowsFrom: number | undefined,
): Promise<{ rowsAffected?: number; warnings: string[] }> {
  const { adapter, connection, node } = context;
  const warnings: string[] = [];
  let rowsAffected: number | undefined;
  await connection.transaction(async () => {
    const dependents = adapter.capabilities.dropCascadesDependentViews ? await adapter.dependentViews(connection, node.relation) : [];
    for (const [index, statement] of statements.entries()) {
      const result = await connection.execute(statement);
      if (index === rowsFrom) rowsAffected = result.rowsAffected;
    }
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
