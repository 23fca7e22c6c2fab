import type { DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from './driver.js';
import type { ParsedStatement } from '../adapter.js';

/** Statements per query: one round trip parses many, which matters on 10,000-model projects. */
const BATCH = 500;
/** Connections parsing at once (DuckDB serialises on its own threads; JSON.parse stays here). */
const PARALLEL = 2;

/**
 * Parses statements with DuckDB's own parser: `json_serialize_sql()` returns the syntax tree of a
 * SELECT as JSON, or `{"error": true, "error_message": ...}` when the text does not parse.
 */
export async function parseSqlWithDuckdb(instance: DuckDBInstance, statements: readonly string[]): Promise<ParsedStatement[]> {
  const results: ParsedStatement[] = new Array(statements.length);
  const starts: number[] = [];
  for (let start = 0; start < statements.length; start += BATCH) starts.push(start);
  let next = 0;
  const worker = async (): Promise<void> => {
    const connection = await instance.connect();
    try {
      while (next < starts.length) {
        const start = starts[next++]!;
        const batch = statements.slice(start, start + BATCH);
        const reader = await connection.runAndReadAll(
          'select json_serialize_sql(s) as j from unnest($1) with ordinality as t(s, i) order by i',
          [duckdb.listValue([...batch])],
          [duckdb.LIST(duckdb.VARCHAR)],
        );
        reader.getRows().forEach(([json], i) => {
          results[start + i] = toParsed(String(json));
        });
      }
    } finally {
      connection.closeSync();
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, starts.length) }, worker));
  return results;
}

function toParsed(json: string): ParsedStatement {
  const tree = JSON.parse(json) as { error?: boolean; error_message?: string };
  if (tree.error) return { error: tree.error_message ?? 'DuckDB could not parse the statement' };
  return { ast: tree };
}
