import { withConnection, type Adapter } from '../adapters/adapter.js';
import { DatabaseError } from '../errors.js';
import type { Session } from '../session.js';

/**
 * project.yml's `on-run-start` / `on-run-end`: SQL templates run once per invocation, before
 * the first node and after the last (also after failures, as in dbt).
 */
export async function runProjectHooks(session: Session, adapter: Adapter, kind: 'on-run-start' | 'on-run-end'): Promise<number> {
  const hooks = session.project.config[kind] ?? [];
  if (hooks.length === 0) return 0;
  await withConnection(adapter, async (connection) => {
    for (const [index, template] of hooks.entries()) {
      const sql = session.compiled.templates.renderInline(template, `project.yml (${kind})`).trim();
      if (!sql) continue;
      try {
        await connection.execute(sql);
      } catch (error) {
        throw new DatabaseError(`${kind} hook ${index + 1} failed: ${(error as Error).message}`, { file: 'project.yml' }, `Check the ${kind} entries in project.yml.`);
      }
    }
  });
  return hooks.length;
}
