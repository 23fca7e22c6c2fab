import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, PG } from '../../e2e/support/project.js';
import type { Adapter, Connection } from '../adapters/adapter.js';
import { withConnection } from '../adapters/adapter.js';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { PostgresAdapter } from '../adapters/postgres/postgres-adapter.js';
import { RelationCache } from './relation-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-relation-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(await dialects())('RelationCache on %s', (dialect) => {
  const schema = `rc_${dialect}_${process.pid}`;
  const open = async (): Promise<Adapter> => {
    const adapter = dialect === 'duckdb' ? new DuckdbAdapter({ path: join(dir, 'rc.duckdb'), threads: 1 }) : new PostgresAdapter({ ...PG, threads: 1 });
    await adapter.open();
    return adapter;
  };

  it('prefetch lists each schema once, before any lookup; lookups then ask nothing', async () => {
    const adapter = await open();
    try {
      await withConnection(adapter, async (connection: Connection) => {
        await connection.execute(`drop schema if exists ${schema} cascade`);
        await connection.execute(`create schema ${schema}`);
        await connection.execute(`create table ${schema}.a (id integer)`);
        await connection.execute(`create view ${schema}.b as select 1 as id`);
        const listed: string[] = [];
        const list = adapter.listRelations.bind(adapter);
        adapter.listRelations = async (c, s) => {
          listed.push(s);
          return list(c, s);
        };
        const cache = new RelationCache(adapter);
        await cache.prefetch(connection, [{ schema, identifier: 'a' }, { schema, identifier: 'b' }, { schema: `${schema}_missing`, identifier: 'c' }]);
        expect(listed).toEqual([schema, `${schema}_missing`]);
        expect((await cache.get(connection, { schema, identifier: 'a' }))?.type).toBe('table');
        expect((await cache.get(connection, { schema, identifier: 'b' }))?.type).toBe('view');
        expect(await cache.get(connection, { schema: `${schema}_missing`, identifier: 'c' })).toBeUndefined();
        expect(listed).toHaveLength(2);
        await connection.execute(`drop schema ${schema} cascade`);
      });
    } finally {
      await adapter.close();
    }
  });

  it('a listing that fails in prefetch is asked again by the lookup that needs it', async () => {
    const adapter = await open();
    try {
      await withConnection(adapter, async (connection: Connection) => {
        const list = adapter.listRelations.bind(adapter);
        let calls = 0;
        adapter.listRelations = async (c, s) => {
          calls++;
          if (calls === 1) throw new Error('the database is busy');
          return list(c, s);
        };
        const cache = new RelationCache(adapter);
        await cache.prefetch(connection, [{ schema, identifier: 'a' }]);
        expect(await cache.get(connection, { schema, identifier: 'a' })).toBeUndefined();
        expect(calls).toBe(2);
      });
    } finally {
      await adapter.close();
    }
  });
});
