import { afterAll, describe, expect, it } from 'vitest';
import { withConnection } from '../adapter.js';
import { DuckdbAdapter } from './duckdb-adapter.js';

/*
 * getColumns reads pragma_table_info (one relation) and falls back to duckdb_columns() where
 * that fails: a missing relation, or a view whose table is gone. Inside a transaction the
 * failed pragma must leave the transaction usable (incremental builds call it there).
 */
const adapter = new DuckdbAdapter({ path: ':memory:', threads: 1 });
afterAll(() => adapter.close());

describe('DuckDB getColumns', () => {
  it('reads tables, temp tables, views, and answers missing or broken relations', async () => {
    await withConnection(adapter, async (connection) => {
      await connection.execute(`create table "T x" ("Weird Col" decimal(10, 2), l integer[], s struct(a integer))`);
      await connection.execute('create table gone (x integer)');
      await connection.execute('create view v as select x, x * 2 as y from gone');
      expect(await adapter.getColumns(connection, { schema: 'main', identifier: 'T x' })).toEqual([
        { name: 'Weird Col', dataType: 'DECIMAL(10,2)' },
        { name: 'l', dataType: 'INTEGER[]' },
        { name: 's', dataType: 'STRUCT(a INTEGER)' },
      ]);
      expect(await adapter.getColumns(connection, { schema: 'main', identifier: 'v' })).toEqual([
        { name: 'x', dataType: 'INTEGER' },
        { name: 'y', dataType: 'INTEGER' },
      ]);
      await connection.transaction(async () => {
        await connection.execute('create temp table staged as select 1 as k');
        expect(await adapter.getColumns(connection, { database: 'temp', schema: 'main', identifier: 'staged' })).toEqual([{ name: 'k', dataType: 'INTEGER' }]);
        expect(await adapter.getColumns(connection, { schema: 'main', identifier: 'missing' })).toEqual([]);
        await connection.execute('drop table gone');
        // The view no longer binds: duckdb_columns() still knows its columns.
        expect(await adapter.getColumns(connection, { schema: 'main', identifier: 'v' })).toEqual([{ name: 'x', dataType: 'INTEGER' }, { name: 'y', dataType: 'INTEGER' }]);
        await connection.execute('insert into "T x" ("Weird Col") values (1)');
      });
      expect(await connection.query('select count(*)::integer as n from "T x"')).toEqual([{ n: 1 }]);
    });
  });
});
