import type { Adapter, ColumnMeta, Connection } from '../adapters/adapter.js';
import { stripTrailingSemicolon } from '../adapters/dialect.js';
import type { RelationName } from '../manifest/types.js';

let probes = 0;

/**
 * The columns (and their types) a query returns, without running it for its rows or leaving
 * anything behind: the query becomes a view inside a transaction that is rolled back. Both
 * DuckDB and PostgreSQL roll back DDL, and the view's columns come from the same introspection
 * that reads tables. Contracts and unit tests use this before anything is built or compared.
 */
export async function describeQuery(adapter: Adapter, connection: Connection, sql: string, schema: Pick<RelationName, 'schema' | 'database'>): Promise<ColumnMeta[]> {
  const probe: RelationName = { ...schema, identifier: `smelt_probe_${process.pid}_${++probes}` };
  await connection.execute('begin');
  try {
    await connection.execute(adapter.dialect.createSchema(schema.schema, schema.database));
    await connection.execute(adapter.dialect.createViewAs(probe, `select * from (\n${stripTrailingSemicolon(sql)}\n) as smelt_probe`));
    return await adapter.getColumns(connection, probe);
  } finally {
    await connection.execute('rollback').catch(() => undefined);
  }
}
