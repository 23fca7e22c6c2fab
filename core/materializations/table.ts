import { runAtomically, type BuildContext, type BuildOutcome, type Materialization, type PlanInput } from './materialization.js';
import { tempIdentifier } from './temp-name.js';

/**
 * A table is built under a temporary name and swapped in within one transaction, so a failed
 * or killed build leaves the previous table as it was.
 */
export class TableMaterialization implements Materialization {
  readonly name = 'table';

  plan({ node, sql, existing, dialect, cascade }: PlanInput): string[] {
    const temp = { ...node.relation, identifier: tempIdentifier(node.relation.identifier) };
    const statements = [dialect.drop(temp, 'table', { ifExists: true }), dialect.createTableAs(temp, sql)];
    if (existing) statements.push(dialect.drop(node.relation, existing.type, { cascade }));
    statements.push(dialect.rename(temp, 'table', node.relation.identifier));
    return statements;
  }

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const existing = await adapter.getRelation(connection, node.relation);
    const statements = this.plan({ node, sql: context.sql, existing, dialect: adapter.dialect, cascade: adapter.capabilities.dropCascadesDependentViews });
    const { rowsAffected, warnings } = await runAtomically(context, statements, 1);
    return { rowsAffected, message: 'table', statements, warnings };
  }
}
