import { withConnection } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { CompileError, UsageError } from '../errors.js';
import type { Reporter } from '../runner/reporter.js';
import type { Session } from '../session.js';
import { didYouMean } from '../util/suggest.js';

export interface RunOperationResult {
  statements: string[];
  returned: unknown;
}

/**
 * `smelt run-operation macro --args '{...}'`: calls a macro with keyword arguments. SQL it asks
 * for with `run_query(sql)` (or `{% do run_query(sql) %}`) and the text it renders, if any, are
 * then executed in order in one transaction. Templates render synchronously, so a macro cannot
 * read the rows of its own run_query: it is for DDL, grants and maintenance, not for loops over
 * query results.
 */
export async function runOperationTask(session: Session, macroName: string, args: Record<string, unknown>, reporter: Reporter): Promise<RunOperationResult> {
  const { environment } = session.compiled.templates;
  const macro = environment.globals[macroName];
  if (!environment.macros.has(macroName) || typeof macro !== 'function') {
    throw new UsageError(`No macro named '${macroName}'`, {}, didYouMean(macroName, environment.macros.keys()) ?? 'Macros are defined with {% macro name(...) %} in files under macros/.');
  }
  const queued: string[] = [];
  const previous = environment.globals.run_query;
  environment.setGlobal('run_query', (sql: unknown) => {
    queued.push(String(sql));
    return { rows: [], columns: [], table: { rows: [], columns: [] } };
  });
  let returned: unknown;
  try {
    returned = macro({ ...args, __keywords: true });
  } catch (error) {
    const entry = environment.macros.get(macroName)!;
    throw new CompileError(`Macro '${macroName}' failed: ${(error as Error).message.replace(/^\([^)]*\)\s*/, '')}`, { file: entry.path, line: entry.line }, 'Check the macro and the --args you passed.');
  } finally {
    environment.setGlobal('run_query', previous);
  }
  const rendered = typeof returned === 'string' || (returned && typeof returned === 'object' && 'val' in returned) ? String(returned).trim() : '';
  const statements = [...queued.map((s) => s.trim()), ...(rendered ? [rendered] : [])].filter(Boolean);
  if (statements.length > 0) {
    const adapter = await createAdapter(session.target, session.root, 1);
    try {
      await adapter.open();
      await withConnection(adapter, (connection) =>
        connection.transaction(async () => {
          for (const statement of statements) {
            reporter.debug?.(statement);
            await connection.execute(statement);
          }
        }),
      );
    } finally {
      await adapter.close();
    }
  }
  return { statements, returned: typeof returned === 'object' && returned && 'val' in returned ? String(returned) : returned };
}
