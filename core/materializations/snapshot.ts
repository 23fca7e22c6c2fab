import { timestampLiteral } from '../cdc/change-log.js';
import { ConfigError, DatabaseError, SmeltError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { lockedTransaction } from '../runner/write-lock.js';
import { snapshotConfig, type SnapshotConfig } from '../snapshots/snapshot-config.js';
import { firstBuild, keyProblems, planStep, stageSource, type SnapshotPlan } from '../snapshots/snapshot-sql.js';
import type { BuildContext, BuildOutcome, Materialization } from './materialization.js';
import { tempIdentifier } from './temp-name.js';

/**
 * dbt's snapshot: a type-2 history of a query's rows (see core/snapshots). Each step is one
 * transaction under a lock on the snapshot table, so two runs at once take turns and the second
 * sees the first's rows: it never opens a second current row for a key.
 */
export class SnapshotMaterialization implements Materialization {
  readonly name = 'snapshot';

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const config = snapshotConfig(node);
    const dialect = adapter.dialect;
    const statements: string[] = [];
    const execute = async (sql: string) => {
      statements.push(sql);
      return connection.execute(sql);
    };
    return lockedTransaction(adapter, connection, `snapshot ${dialect.relation(node.relation)}`, async () => {
      // Taken after the lock: a run that waited stamps its changes later than the one before it.
      const plan: SnapshotPlan = { dialect, target: node.relation, config, now: timestampLiteral(new Date()) };
      const existing = await adapter.getRelation(connection, node.relation);
      if (existing?.type === 'view') {
        throw new DatabaseError(`${dialect.relation(node.relation)} is a view, not a snapshot table`, { file: node.path, line: node.startLine, node: node.uniqueId }, 'Drop the view or point the snapshot at another schema or alias.');
      }
      // The query's columns, from a temp view of it: the config's column names are checked
      // before any statement that uses them.
      const view = dialect.tempRelation(tempIdentifier(`${node.relation.identifier}__cols`));
      await connection.execute(dialect.createTempViewAs(view, context.sql));
      const columns = await adapter.getColumns(connection, view);
      await connection.execute(dialect.drop(view, 'view'));
      checkConfiguredColumns(node, config, columns.map((c) => c.name));
      if (!existing) {
        const { rowsAffected } = await execute(firstBuild(plan, context.sql));
        return { rowsAffected, message: 'snapshot (first build)', statements, warnings: [] };
      }
      const staging = { ...node.relation, identifier: tempIdentifier(`${node.relation.identifier}__snap`) };
      await execute(dialect.drop(staging, 'table', { ifExists: true }));
      await execute(stageSource(plan, staging, context.sql));
      const [problems] = await connection.query<{ null_keys: number | bigint; duplicate_keys: number | bigint }>(keyProblems(plan, staging));
      const nulls = Number(problems?.null_keys ?? 0);
      const duplicates = Number(problems?.duplicate_keys ?? 0);
      if (nulls > 0 || duplicates > 0) {
        // Not a SQL error: it points at the snapshot, not at compiled SQL.
        throw new SmeltError(
          `The query of snapshot ${node.name} has ${[nulls ? `${nulls} row${nulls === 1 ? '' : 's'} with a NULL unique_key` : '', duplicates ? `${duplicates} unique_key value${duplicates === 1 ? '' : 's'} on more than one row` : ''].filter(Boolean).join(' and ')} (${config.uniqueKey.join(', ')})`,
          { file: node.path, line: node.startLine, node: node.uniqueId },
          'A snapshot needs exactly one row per key: fix the query or the unique_key. The snapshot was left unchanged.',
        );
      }
      // The staged table holds the query's columns (read above) and smelt_updated_at.
      const source = columns;
      const meta = new Set(Object.values(config.columns).map((c) => c.toLowerCase()));
      const target = (await adapter.getColumns(connection, node.relation)).map((c) => c.name).filter((c) => !meta.has(c.toLowerCase()));
      const { statements: step, insertIndex } = planStep(plan, staging, { source, target });
      let rowsAffected: number | undefined;
      for (const [index, statement] of step.entries()) {
        const result = await execute(statement);
        if (index === insertIndex) rowsAffected = result.rowsAffected;
      }
      await execute(dialect.drop(staging, 'table'));
      return { rowsAffected, message: 'snapshot', statements, warnings: [] };
    });
  }
}

/**
 * The unique_key, check_cols and updated_at of a snapshot name columns its query returns: said
 * at the snapshot's config, not as a SQL error in statements the user never wrote.
 */
function checkConfiguredColumns(node: CompiledNode, config: SnapshotConfig, columns: readonly string[]): void {
  const have = new Set(columns.map((c) => c.toLowerCase()));
  const named = [
    ...config.uniqueKey.map((c) => ['unique_key', c] as const),
    ...(Array.isArray(config.checkCols) ? config.checkCols.map((c) => ['check_cols', c] as const) : []),
    ...(config.updatedAt && /^[A-Za-z_][A-Za-z0-9_]*$/.test(config.updatedAt) ? [['updated_at', config.updatedAt] as const] : []),
  ];
  const missing = named.filter(([, column]) => !have.has(column.toLowerCase()));
  if (missing.length === 0) return;
  throw new ConfigError(
    `Snapshot ${node.name}: ${missing.map(([key, column]) => `${key} column '${column}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not returned by its query (${columns.join(', ')})`,
    { file: node.path, line: node.startLine, node: node.uniqueId },
    'Name columns of the query in the config, or add them to the query. The snapshot was left unchanged.',
  );
}
