import { createOnly, existingRelation, runAtomically, type BuildContext, type BuildOutcome, type Materialization, type PlanInput } from './materialization.js';
import { indexStatements } from './indexes.js';
import { tempIdentifier } from './temp-name.js';

/**
 * A table is built under a temporary name and swapped in within one transaction, so a failed
 * or killed build leaves the previous table as it was.
 */
export class TableMaterialization implements Materialization {
  readonly name = 'table';

  plan({ node, sql, existing, dialect, cascade }: PlanInput): string[] {
    // Nothing to replace: one CREATE TABLE AS is atomic by itself.
    if (!existing) return [dialect.createTableAs(node.relation, sql)];
    const temp = { ...node.relation, identifier: tempIdentifier(node.relation.identifier) };
    const statements = [dialect.drop(temp, 'table', { ifExists: true }), dialect.createTableAs(temp, sql)];
    statements.push(dialect.drop(node.relation, existing.type, { cascade }));
    statements.push(dialect.rename(temp, 'table', node.relation.identifier));
    return statements;
  }

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const existing = await existingRelation(context);
    const statements = [
      ...this.plan({ node, sql: context.sql, existing, dialect: adapter.dialect, cascade: adapter.capabilities.dropCascadesDependentViews }),
      ...indexStatements(node, adapter.dialect, adapter.capabilities),
    ];
    // Rebuild: statements 0 and 1 build the temporary table; the swap starts at 2. First build:
    // statement 0 creates the table; with indexes after it, all of it runs in one transaction.
    const { rowsAffected, warnings } = existing
      ? await runAtomically(context, statements, 1, 2)
      : statements.length === 1
        ? await createOnly(context, statements)
        : await runAtomically(context, statements, 0, 1);
    await context.relations?.set(connection, node.relation, 'table');
    return { rowsAffected, message: 'table', statements, warnings };
  }
}
