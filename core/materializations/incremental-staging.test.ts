import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, PG } from '../../e2e/support/project.js';
import type { Adapter, Connection } from '../adapters/adapter.js';
import { withConnection } from '../adapters/adapter.js';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { PostgresAdapter } from '../adapters/postgres/postgres-adapter.js';
import type { CompiledNode } from '../manifest/types.js';
import { IncrementalMaterialization } from './incremental.js';
import type { BuildNotes } from './materialization.js';

/*
 * Where the batch's temp table lives: staged before the step's transaction on DuckDB (so a join
 * can prune the target by the batch's committed min/max key), inside it on PostgreSQL. Either
 * way, after a step that succeeds or fails, no temp relation is left on the connection, the
 * connection is usable, and a failed step changed nothing.
 */
const dir = mkdtempSync(join(tmpdir(), 'smelt-incremental-staging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(await dialects())('incremental staging on %s', (dialect) => {
  const schema = `incr_stage_${dialect}_${process.pid}`;
  const node = (sql: string, config: Record<string, unknown>): CompiledNode => ({
    uniqueId: 'model.t.events', resourceType: 'model', name: 'events', packageName: 't', path: 'models/events.sql', fqn: ['t', 'events'],
    description: '', tags: [], columns: {}, meta: {},
    config: { materialized: 'incremental', enabled: true, tags: [], unique_key: 'id', incremental_strategy: 'delete+insert', ...config },
    relation: { schema, identifier: 'events' }, rawSql: sql, compiledSql: sql, dependsOn: { nodes: [], macros: [] },
    checksum: '', stateChecksum: '', startLine: 1,
  });
  const tempRelations = async (connection: Connection): Promise<number> => {
    const sql = dialect === 'duckdb'
      ? `select count(*) as n from duckdb_tables() where temporary`
      : `select count(*) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname like 'pg_temp%' and c.relkind in ('r', 'v')`;
    const [row] = await connection.query<{ n: number | string | bigint }>(sql);
    return Number(row?.n);
  };

  /** A fresh schema holding `events` (id 1, name 'a'), on a connection of its own adapter. */
  const withEvents = async (file: string, test: (adapter: Adapter, connection: Connection) => Promise<void>): Promise<void> => {
    const adapter: Adapter = dialect === 'duckdb' ? new DuckdbAdapter({ path: join(dir, file), threads: 1 }) : new PostgresAdapter({ ...PG, threads: 1 });
    await adapter.open();
    try {
      await withConnection(adapter, async (connection) => {
        await connection.execute(`drop schema if exists ${schema} cascade`);
        await connection.execute(`create schema ${schema}`);
        await connection.execute(`create table ${schema}.events as select 1 as id, 'a' as name`);
        await test(adapter, connection);
        await connection.execute(`drop schema ${schema} cascade`);
      });
    } finally {
      await adapter.close();
    }
  };

  it('leaves no temp relation after a step that succeeds or fails, and a failed step changes nothing', () =>
    withEvents('stage.duckdb', async (adapter, connection) => {
      const build = (sql: string, config: Record<string, unknown> = {}) => {
        const n = node(sql, config);
        // Staged (not as ascending or new keys straight from the query, which DuckDB would try first).
        return new IncrementalMaterialization().build({ node: n, sql, adapter, connection, fullRefresh: false, render: () => sql, lastBuild: { newKeysOnly: false, ascendingKeys: false, ascendingRetryIn: 9 } });
      };
      const ok = await build(`select 1 as id, 'b' as name union all select 2, 'c'`);
      expect(ok.rowsAffected).toBe(2);
      const staged = ok.statements.findIndex((s) => /create temp table/.test(s));
      expect(staged).toBeGreaterThanOrEqual(0);
      expect(ok.statements.at(-1)).toMatch(/^drop table/);
      expect(await tempRelations(connection)).toBe(0);
      const rows = async () => connection.query<{ id: number; name: string }>(`select id, name from ${schema}.events order by id`);
      expect((await rows()).map((r) => [Number(r.id), r.name])).toEqual([[1, 'b'], [2, 'c']]);

      // Fails after staging: a NULL key is refused.
      await expect(build(`select cast(null as integer) as id, 'x' as name`)).rejects.toThrow(/^1 new row has a NULL in the unique_key \(id\)/);
      expect(await tempRelations(connection)).toBe(0);
      // Fails inside the step's transaction: the columns changed and on_schema_change is 'fail'.
      await expect(build(`select 3 as id, 'd' as name, 1 as extra`, { on_schema_change: 'fail' })).rejects.toThrow(/columns of events changed \(added extra\)/);
      expect(await tempRelations(connection)).toBe(0);
      expect((await rows()).map((r) => [Number(r.id), r.name])).toEqual([[1, 'b'], [2, 'c']]);
      // The connection is still usable.
      expect((await build(`select 2 as id, 'z' as name`)).rowsAffected).toBe(1);
      expect((await rows()).map((r) => [Number(r.id), r.name])).toEqual([[1, 'b'], [2, 'z']]);
      expect(await tempRelations(connection)).toBe(0);
      // Ascending keys, then new keys first (DuckDB): the batch has a key the table has, so
      // both tries roll back and it is applied again staged; the column warning is given once,
      // and the statements say what was rolled back.
      const retried = await new IncrementalMaterialization().build({ node: node('', {}), sql: `select 1 as id, 'q' as name, 5 as extra`, adapter, connection, fullRefresh: false, render: () => `select 1 as id, 'q' as name, 5 as extra` });
      expect(retried.warnings).toEqual(['columns changed (added extra); on_schema_change: ignore']);
      expect(retried.notes).toEqual(dialect === 'duckdb' ? { ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 1, newKeysOnly: false } : { newKeysOnly: false });
      if (dialect === 'duckdb') expect(retried.statements.filter((s) => s.startsWith('-- rolled back'))).toHaveLength(2);
      expect((await rows()).map((r) => [Number(r.id), r.name])).toEqual([[1, 'q'], [2, 'z']]);
    }));

  it('keys above the table\'s largest: one insert on DuckDB; a NULL key or a key not above it changes nothing', () =>
    withEvents('ascending.duckdb', async (adapter, connection) => {
      const rows = async () => (await connection.query<{ id: number; name: string }>(`select id, name from ${schema}.events order by id, name`)).map((r) => [Number(r.id), r.name]);
      const build = (sql: string, strategy: string, lastBuild?: BuildNotes) =>
        new IncrementalMaterialization().build({ node: node(sql, { incremental_strategy: strategy }), sql, adapter, connection, fullRefresh: false, render: () => sql, ...(lastBuild ? { lastBuild } : {}) });
      const duck = dialect === 'duckdb';
      for (const strategy of ['merge', 'delete+insert']) {
        const before = await rows();
        const next = Number(before.at(-1)![0]) + 1;
        const ok = await build(`select ${next} as id, 'n' as name union all select ${next + 1}, 'm'`, strategy);
        expect(ok.rowsAffected).toBe(2);
        expect(await rows()).toEqual([...before, [next, 'n'], [next + 1, 'm']]);
        if (duck) {
          // One insert, nothing staged, nothing merged.
          expect(ok.statements.filter((s) => !s.startsWith('--'))).toHaveLength(1);
          expect(ok.statements[0]).toMatch(/^insert into [\s\S]*SMELT_LARGEST_KEY/);
          expect(ok.notes).toMatchObject({ ascendingKeys: true });
        }
        // A NULL key is refused (on DuckDB by the insert itself), counted for the message.
        await expect(build(`select ${next + 2} as id, 'x' as name union all select cast(null as integer), 'y'`, strategy)).rejects.toThrow(/^1 new row has a NULL in the unique_key \(id\)/);
        expect(await rows()).toEqual([...before, [next, 'n'], [next + 1, 'm']]);
        expect(await tempRelations(connection)).toBe(0);
      }
      // A key not above the largest: the insert rolls back and the strategy applies the batch.
      const merged = await build(`select 2 as id, 'B' as name union all select 99, 'z'`, 'merge');
      expect(await rows()).toEqual([[1, 'a'], [2, 'B'], [3, 'm'], [4, 'n'], [5, 'm'], [99, 'z']]);
      if (duck) {
        expect(merged.statements[0]).toMatch(/SMELT_LARGEST_KEY/);
        expect(merged.statements).toContain('-- rolled back: a batch key is not above the largest key the table has');
        expect(merged.notes).toEqual({ ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 1 });
        // The next step skips the try; the one after tries again.
        const skipped = await build(`select 100 as id, 'y' as name`, 'merge', merged.notes);
        expect(skipped.statements.join('\n')).not.toMatch(/SMELT_LARGEST_KEY/);
        expect(skipped.notes).toEqual({ ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 0 });
        const again = await build(`select 101 as id, 'x' as name`, 'merge', skipped.notes);
        expect(again.statements[0]).toMatch(/SMELT_LARGEST_KEY/);
        expect(again.notes).toEqual({ ascendingKeys: true });
        // A text key: its order may disagree with its equality (a collation), so no try.
        await connection.execute(`alter table ${schema}.events alter column id set data type varchar`);
        const text = await build(`select '200' as id, 'w' as name`, 'merge');
        expect(text.statements).toContain("-- rolled back: not tried as keys above the table's largest: id is VARCHAR, whose order may disagree with its equality");
        expect(text.notes).toEqual({ ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 64 });
        expect(await rows()).toContainEqual([200, 'w']);
      }
      expect(await tempRelations(connection)).toBe(0);
    }));
});
