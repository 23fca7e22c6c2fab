import type { ParsedStatement } from '../adapter.js';

type LibPgQuery = typeof import('libpg-query');
let parser: Promise<LibPgQuery> | undefined;

/**
 * Parses statements with PostgreSQL's own parser (libpg-query: the server's grammar compiled to
 * WebAssembly), so it needs no server. Loaded on first use: only the docs need it.
 */
export async function parseSqlWithPostgres(statements: readonly string[]): Promise<ParsedStatement[]> {
  parser ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    return module;
  });
  const { parseSync } = await parser;
  return statements.map((sql) => {
    try {
      return { ast: parseSync(sql) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
}
