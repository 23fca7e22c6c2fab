import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from './driver.js';
import type { SqlAst, SqlParser } from '../sql-parser.js';

/** Parses SQL with DuckDB's json_serialize_sql() in a private in-memory database. */
export class DuckdbSqlParser implements SqlParser {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  static async create(): Promise<DuckdbSqlParser> {
    const instance = await duckdb.DuckDBInstance.create(':memory:');
    return new DuckdbSqlParser(instance, await instance.connect());
  }

  async parse(sql: string): Promise<SqlAst | undefined> {
    const reader = await this.connection.runAndReadAll('select json_serialize_sql($1::varchar) as ast', [sql]);
    const text = reader.getRows()[0]?.[0];
    if (typeof text !== 'string') return undefined;
    const ast = JSON.parse(text) as { error?: boolean; statements?: { node: SqlAst }[] };
    if (ast.error || !ast.statements || ast.statements.length !== 1) return undefined;
    return ast.statements[0]!.node;
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
