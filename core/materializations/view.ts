import { createOnly, existingRelation, runAtomically, type BuildContext, type BuildOutcome, type Materialization, type PlanInput } from './materialization.js';

/**
 * A view is dropped and created in one transaction: a broken definition keeps the old view.
 * With nothing to replace, the single CREATE VIEW is atomic on its own.
 */
export class ViewMaterialization implements Materialization {
  readonly name = 'view';

  plan({ node, sql, existing, dialect, cascade }: PlanInput): string[] {
    const statements: string[] = [];
    if (existing) statements.push(dialect.drop(node.relation, existing.type, { cascade }));
    statements.push(dialect.createViewAs(node.relation, sql));
    return statements;
  }

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const existing = await existingRelation(context);
    const statements = this.plan({ node, sql: context.sql, existing, dialect: adapter.dialect, cascade: adapter.capabilities.dropCascadesDependentViews });
    const { warnings } = existing ? await runAtomically(context, statements, undefined) : await createOnly(context, statements);
    await context.relations?.set(connection, node.relation, 'view');
    return { message: 'view', statements, warnings };
  }
}
