import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ParsedStatement } from '../../adapters/adapter.js';
import { DuckdbAdapter } from '../../adapters/duckdb/duckdb-adapter.js';
import { parseSqlWithPostgres } from '../../adapters/postgres/parse-sql.js';
import { Dag } from '../../graph/dag.js';
import type { Manifest } from '../../manifest/types.js';
import { testManifest, type TestNode } from '../test-manifest.test-support.js';
import { columnLineage, type LineageStats } from './column-lineage.js';
import { topologicalOrderOf } from '../../graph/topological-order.js';
import { LineageCache, lineageScope } from './lineage-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-lineage-cache-'));
const duckdb = new DuckdbAdapter({ path: ':memory:', threads: 1 });
afterAll(async () => {
  await duckdb.close();
  rmSync(dir, { recursive: true, force: true });
});

const PARSERS: Record<string, (sql: readonly string[]) => Promise<ParsedStatement[]>> = {
  duckdb: (sql) => duckdb.parseSql(sql),
  postgres: parseSqlWithPostgres,
};

/** orders (seed) -> stg (select *) -> wide (join) -> mart (select * in a CTE), plus a node reading `late` by name. */
function project(changes: { stg?: string; wideColumns?: Record<string, string> } = {}): Manifest {
  const nodes: TestNode[] = [
    { name: 'orders', type: 'seed' },
    { name: 'customers', type: 'source', columns: { id: 'Key.', name: 'Name.' } },
    { name: 'stg', sql: changes.stg ?? 'select * from "s"."orders"', parents: ['orders'] },
    { name: 'wide', sql: 'select o.id, o.amount * 2 as amount, c.name from "s"."stg" o left join "s"."customers" c on c.id = o.customer_id', parents: ['stg', 'customers'], columns: changes.wideColumns },
    { name: 'mart', sql: 'with w as (select * from "s"."wide") select id, sum(amount) as total, max(name) as name from w group by id', parents: ['wide'] },
    // Reads a model by its relation name, without a ref: whether `z_late` comes before it decides what it sees.
    { name: 'a_early', sql: 'select * from "s"."z_late"', parents: ['orders'] },
    { name: 'z_late', sql: 'select id, status from "s"."stg"', parents: ['stg'] },
    { name: 'broken', sql: 'select from from where' },
  ];
  return testManifest(nodes);
}
const FILE_COLUMNS = { 'seed.p.orders': ['id', 'customer_id', 'amount', 'status'] };

async function lineage(dialect: string, manifest: Manifest, cache?: LineageCache, warehouse: Record<string, string[]> = {}): Promise<{ lineage: unknown; stats: LineageStats }> {
  let stats: LineageStats = { parsed: -1, reused: -1, waves: -1 };
  const result = await columnLineage({ manifest, dialect, parse: PARSERS[dialect]!, warehouseColumns: warehouse, fileColumns: FILE_COLUMNS, cache, stats: (s) => (stats = s) });
  cache?.save();
  return { lineage: result, stats };
}

describe.each(['duckdb', 'postgres'])('the column lineage cache on %s', (dialect) => {
  const path = join(dir, `${dialect}.json`);
  const scope = lineageScope(dialect);
  const open = (): LineageCache => LineageCache.open(path, scope);

  it('gives exactly the uncached lineage, parsing only what changed', async () => {
    rmSync(path, { force: true });
    const base = project();
    const fresh = await lineage(dialect, base);
    const first = await lineage(dialect, base, open());
    expect(first.lineage).toEqual(fresh.lineage);
    expect(first.stats).toMatchObject({ parsed: 6, reused: 0 });

    const warm = await lineage(dialect, base, open());
    expect(warm.lineage).toEqual(fresh.lineage);
    expect(warm.stats).toMatchObject({ parsed: 0, reused: 6, waves: 1 });

    // stg gains a column: wide reads stg's columns by name (re-resolved, same result), mart
    // and z_late read through select * (re-resolved from a new parse of their unchanged SQL).
    const changed = project({ stg: 'select *, amount > 100 as big from "s"."orders"' });
    const cached = await lineage(dialect, changed, open());
    expect(cached.lineage).toEqual((await lineage(dialect, changed)).lineage);
    expect(cached.stats.parsed).toBeLessThan(6);
    expect(cached.stats.reused).toBeGreaterThan(0);
  });

  it('notices changed YAML columns and warehouse columns, which the SQL does not show', async () => {
    rmSync(path, { force: true });
    await lineage(dialect, project(), open());
    const documented = project({ wideColumns: { id: 'Key.', extra: 'Only in YAML.' } });
    expect((await lineage(dialect, documented, open())).lineage).toEqual((await lineage(dialect, documented)).lineage);
    const built = { 'model.p.stg': ['id', 'amount', 'customer_id', 'status', 'loaded_at'], 'model.p.a_early': ['id', 'status'] };
    const cached = await lineage(dialect, documented, open(), built);
    expect(cached.lineage).toEqual((await lineage(dialect, documented, undefined, built)).lineage);
    expect(cached.stats.reused).toBeGreaterThan(0);
  });

  it('costs only a full parse when the file is damaged, edited or from another parser', async () => {
    rmSync(path, { force: true });
    const base = project();
    const fresh = await lineage(dialect, base);
    await lineage(dialect, base, open());
    const good = readFileSync(path, 'utf8');
    for (const damaged of [good.slice(0, good.length / 2), 'garbage', good.replace('"direct"', '"derived"'), '']) {
      writeFileSync(path, damaged);
      const run = await lineage(dialect, base, open());
      expect(run.lineage).toEqual(fresh.lineage);
      expect(run.stats.parsed).toBe(6);
    }
    const other = await lineage(dialect, base, LineageCache.open(path, lineageScope(dialect === 'duckdb' ? 'postgres' : 'duckdb')));
    expect(other.stats.parsed).toBe(6);
  });
});

describe('topologicalOrderOf', () => {
  it('is the order Dag gives: parents first, the smallest ready id first', () => {
    let state = 11;
    const random = (n: number): number => (state = (state * 1103515245 + 12345) % 2 ** 31) % n;
    const ids = Array.from({ length: 300 }, (_, i) => `model.p.n${random(1000)}_${i}`);
    const parentMap: Record<string, string[]> = {};
    ids.forEach((id, i) => {
      // Parents come from earlier ids (acyclic), sometimes twice, sometimes not a key themselves.
      parentMap[id] = i === 0 ? [] : Array.from({ length: random(4) }, () => ids[random(i)]!).concat(random(10) === 0 ? ['source.p.outside'] : []);
    });
    expect(topologicalOrderOf(parentMap)).toEqual(Dag.fromParentMap(parentMap).topologicalOrder());
  });

  it('reports a cycle as Dag does', () => {
    expect(() => topologicalOrderOf({ a: ['b'], b: ['a'] })).toThrow(/Dependency cycle/);
  });
});
