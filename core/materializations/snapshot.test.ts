import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import type { CompiledNode } from '../manifest/types.js';
import { SnapshotMaterialization } from './snapshot.js';

/*
 * Two snapshot steps at once on one DuckDB (two connections, as --threads gives): the in-process
 * write lock makes them take turns, so no key gets two current rows. (Across processes, DuckDB
 * lets only one process open the file for writing.) PostgreSQL is covered end to end in
 * e2e/snapshots.test.ts, across sessions.
 */
function node(sql: string): CompiledNode {
  return {
    uniqueId: 'snapshot.p.s', resourceType: 'snapshot', name: 's', packageName: 'p', path: 'snapshots/s.sql', fqn: ['p', 's'], description: '', tags: [],
    columns: {}, meta: {}, config: { materialized: 'snapshot', enabled: true, tags: [], unique_key: 'id', strategy: 'check', check_cols: 'all' },
    relation: { schema: 'main', identifier: 's' }, rawSql: sql, compiledSql: sql, dependsOn: { nodes: [], macros: [] }, checksum: '', stateChecksum: '', startLine: 1,
  };
}

describe('snapshot steps at once on DuckDB', () => {
  it('take turns: one current row per key', async () => {
    const adapter = new DuckdbAdapter({ path: join(mkdtempSync(join(tmpdir(), 'smelt-snap-')), 'w.duckdb'), threads: 4 });
    const materialization = new SnapshotMaterialization();
    const step = async (sql: string) => {
      const connection = await adapter.acquire();
      try {
        const n = node(sql);
        return await materialization.build({ node: n, sql, adapter, connection, fullRefresh: false, render: () => sql });
      } finally {
        await connection.release();
      }
    };
    await adapter.open();
    try {
      const first = "select * from (values (1, 'a'), (2, 'b')) as t(id, v)";
      // Without the lock DuckDB fails all but one of them (a write-write conflict); with it, all succeed.
      expect((await Promise.all([step(first), step(first), step(first)])).map((o) => o.message).sort()).toEqual(['snapshot', 'snapshot', 'snapshot (first build)']);
      const second = "select * from (values (1, 'a'), (2, 'c'), (3, 'd')) as t(id, v)";
      await Promise.all([step(second), step(second), step(second)]);
      const connection = await adapter.acquire();
      const rows = await connection.query<{ id: number; n: bigint }>('select id, count(*) as n from main.s where dbt_valid_to is null group by id order by id');
      const total = await connection.query<{ n: bigint }>('select count(*) as n from main.s');
      await connection.release();
      expect(rows.map((r) => [r.id, Number(r.n)])).toEqual([[1, 1], [2, 1], [3, 1]]);
      expect(Number(total[0]!.n)).toBe(4);
    } finally {
      await adapter.close();
    }
  });
});
