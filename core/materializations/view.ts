import type { RelationInfo } from '../adapters/adapter.js';
import { createOnly, existingRelation, runAtomically, type BuildContext, type BuildOutcome, type Materialization, type PlanInput } from './materialization.js';

/**
 * A view is replaced by one CREATE OR REPLACE VIEW, atomic by itself: a broken definition keeps
 * the old view, and views built on it stay. Where the database refuses the replace (PostgreSQL,
 * when a column is dropped, renamed or retyped), or a table stands in the way, the old relation
 * is dropped and the view created in one transaction (dependent views captured and restored).
 */
export class ViewMaterialization implements Materialization {
  readonly name = 'view';

  plan({ node, sql, existing, dialect, cascade }: PlanInput): string[] {
    if (existing?.type === 'view') return [dialect.createOrReplaceViewAs(node.relation, sql)];
    return dropAndCreate({ node, sql, existing, dialect, cascade });
  }

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    const existing = await existingRelation(context);
    const input = { node, sql: context.sql, existing, dialect: adapter.dialect, cascade: adapter.capabilities.dropCascadesDependentViews };
    let statements = this.plan(input);
    let warnings: string[] = [];
    if (statements.length === 1) {
      try {
        ({ warnings } = await createOnly(context, statements));
      } catch (error) {
        if (!existing || !adapter.isViewReplaceRefused?.(error)) throw error;
        statements = dropAndCreate(input);
        ({ warnings } = await runAtomically(context, statements, undefined));
      }
    } else {
      ({ warnings } = await runAtomically(context, statements, undefined));
    }
    await context.relations?.set(connection, node.relation, 'view');
    return { message: 'view', statements, warnings };
  }
}

function dropAndCreate({ node, sql, existing, dialect, cascade }: PlanInput & { existing: RelationInfo | undefined }): string[] {
  const statements: string[] = [];
  if (existing) statements.push(dialect.drop(node.relation, existing.type, { cascade }));
  statements.push(dialect.createViewAs(node.relation, sql));
  return statements;
}
