/**
 * A real SQL parser for comparing and analysing compiled SQL. DuckDB's parser (which descends
 * from PostgreSQL's) serves both dialects; it is loaded on demand from the duckdb folder.
 */
export interface SqlParser {
  /** The statement's syntax tree, or undefined when the parser cannot read it. */
  parse(sql: string): Promise<SqlAst | undefined>;
  close(): Promise<void>;
}

export type SqlAst = Record<string, unknown>;

export async function createSqlParser(): Promise<SqlParser> {
  const { DuckdbSqlParser } = await import('./duckdb/duckdb-sql-parser.js');
  return DuckdbSqlParser.create();
}
