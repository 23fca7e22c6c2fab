import type { Connection } from '../adapters/adapter.js';
import { DatabaseError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';

/** A node's `pre-hook` / `post-hook` config (project.yml, YAML or config()), as a list of SQL templates. */
export function nodeHooks(node: CompiledNode, kind: 'pre-hook' | 'post-hook'): string[] {
  const value = node.config[kind] ?? node.config[kind.replace('-', '_')];
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((hook) => (typeof hook === 'object' && hook && 'sql' in hook ? String((hook as { sql: unknown }).sql) : String(hook))).filter((s) => s.trim());
}

/**
 * Runs pre-hooks, the build, then post-hooks on one connection (as dbt does, in that order).
 * A failing hook fails the node with an error that names the hook.
 */
export async function withHooks<T extends { statements: string[] }>(
  node: CompiledNode,
  connection: Connection,
  render: (sql: string) => string,
  build: () => Promise<T>,
): Promise<T> {
  const run = async (kind: 'pre-hook' | 'post-hook', executed: string[]) => {
    for (const [index, template] of nodeHooks(node, kind).entries()) {
      const sql = render(template);
      try {
        await connection.execute(sql);
      } catch (error) {
        throw new DatabaseError(`${kind} ${index + 1} of ${node.name} failed: ${(error as Error).message}`, { file: node.path, node: node.uniqueId }, 'Check the hook in the model config or project.yml.');
      }
      executed.push(sql);
    }
  };
  const pre: string[] = [];
  await run('pre-hook', pre);
  const outcome = await build();
  const post: string[] = [];
  await run('post-hook', post);
  return { ...outcome, statements: [...pre, ...outcome.statements, ...post] };
}
