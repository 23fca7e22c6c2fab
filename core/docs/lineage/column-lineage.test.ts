import { afterAll, describe, expect, it } from 'vitest';
import type { ParsedStatement } from '../../adapters/adapter.js';
import { DuckdbAdapter } from '../../adapters/duckdb/duckdb-adapter.js';
import { parseSqlWithPostgres } from '../../adapters/postgres/parse-sql.js';
import { testManifest, type TestNode } from '../test-manifest.test-support.js';
import { columnLineage } from './column-lineage.js';
import type { NodeLineage } from './resolve-columns.js';

// The same SQL goes through each dialect's real parser: DuckDB's json_serialize_sql() and
// PostgreSQL's grammar (libpg-query, no server needed). Both must give the same lineage.
const duckdb = new DuckdbAdapter({ path: ':memory:', threads: 1 });
afterAll(() => duckdb.close());

const PARSERS: Record<string, (sql: readonly string[]) => Promise<ParsedStatement[]>> = {
  duckdb: (sql) => duckdb.parseSql(sql),
  postgres: parseSqlWithPostgres,
};

const UPSTREAM: TestNode[] = [
  { name: 'orders', type: 'seed' },
  { name: 'customers', type: 'source', columns: { id: 'Key.', name: 'Full name.' } },
];
const FILE_COLUMNS = { 'seed.p.orders': ['id', 'customer_id', 'amount', 'status'] };

async function lineageOf(dialect: string, sql: string, options: { warehouse?: string[]; extra?: TestNode[] } = {}): Promise<NodeLineage> {
  const manifest = testManifest([...UPSTREAM, ...(options.extra ?? []), { name: 'target', sql, parents: ['orders', 'customers', ...(options.extra ?? []).map((e) => e.name)] }]);
  const all = await columnLineage({
    manifest,
    dialect,
    parse: PARSERS[dialect]!,
    warehouseColumns: options.warehouse ? { 'model.p.target': options.warehouse } : {},
    fileColumns: FILE_COLUMNS,
  });
  return all['model.p.target']!;
}

/** name -> "node.column" list, for compact assertions. */
function table(lineage: NodeLineage): Record<string, string> {
  return Object.fromEntries(lineage.columns.map((c) => [c.name, `${c.transform}: ${c.sources.map((s) => `${s.node.split('.').pop()}.${s.column}`).join(', ')}`]));
}

describe.each(['duckdb', 'postgres'])('column lineage on %s', (dialect) => {
  it('follows renames, expressions, constants and joins', async () => {
    const lineage = await lineageOf(dialect, `
      select o.id as order_id, o.amount * 2 as double_amount, 'x' as const_col, c.name, cast(o.status as varchar) as status
      from "s"."orders" as o join "s"."customers" c on c.id = o.customer_id`);
    expect(table(lineage)).toEqual({
      order_id: 'direct: orders.id',
      double_amount: 'derived: orders.amount',
      const_col: 'constant: ',
      name: 'direct: customers.name',
      status: 'direct: orders.status',
    });
    expect(lineage.unresolved).toEqual([]);
  });

  it('resolves through CTEs, select * over a known relation and aggregates', async () => {
    const lineage = await lineageOf(dialect, `
      with a as (select * from "s"."orders"), b as (select id, amount from a where amount > 0)
      select b.id, sum(b.amount) as total, count(*) as n from b group by b.id`);
    expect(table(lineage)).toEqual({ id: 'direct: orders.id', total: 'derived: orders.amount', n: 'constant: ' });
  });

  it('keeps a constant a constant through a CTE', async () => {
    const lineage = await lineageOf(dialect, `
      with per as (select status, count(*) as n, 'x' as tag from "s"."orders" group by status)
      select status, n, tag from per`);
    expect(table(lineage)).toEqual({ status: 'direct: orders.status', n: 'constant: ', tag: 'constant: ' });
  });

  it('resolves subqueries in FROM, scalar subqueries and set operations', async () => {
    const lineage = await lineageOf(dialect, `
      select x.k, (select max(c.name) from "s"."customers" c where c.id = x.k) as top_name
      from (select customer_id as k from "s"."orders" union all select id from "s"."customers") as x`);
    expect(table(lineage)).toEqual({ k: 'direct: orders.customer_id, customers.id', top_name: 'derived: customers.name' });
  });

  it('attributes unqualified columns through USING joins and CTE column lists', async () => {
    const lineage = await lineageOf(dialect, `
      with c(id, label) as (select id, upper(name) from "s"."customers")
      select id, label, amount from c join "s"."orders" o using (id)`);
    expect(table(lineage)).toEqual({ id: 'direct: customers.id, orders.id', label: 'derived: customers.name', amount: 'direct: orders.amount' });
  });

  it('treats an inlined ephemeral model as the node it is, not as a CTE', async () => {
    const lineage = await lineageOf(dialect, `
      with __smelt_cte__eph as (select id, amount from "s"."orders")
      select id, amount + 1 as amount_plus from __smelt_cte__eph`, {
      extra: [{ name: 'eph', sql: 'select id, amount from "s"."orders"', materialized: 'ephemeral', parents: ['orders'] }],
    });
    expect(table(lineage)).toEqual({ id: 'direct: eph.id', amount_plus: 'derived: eph.amount' });
  });

  it('keeps select * over a relation with unknown columns as *, and names it from the warehouse when built', async () => {
    const extra: TestNode[] = [{ name: 'opaque', type: 'source' }];
    const unknown = await lineageOf(dialect, 'select r.*, 1 as one from "s"."opaque" as r', { extra });
    expect(table(unknown)).toEqual({ '*': 'direct: opaque.*', one: 'constant: ' });
    expect(unknown.unresolved.join('\n')).toMatch(/columns are not known/);
    const built = await lineageOf(dialect, 'select r.*, 1 as one from "s"."opaque" as r', { extra, warehouse: ['a', 'b', 'one'] });
    expect(table(built)).toEqual({ a: 'direct: opaque.a', b: 'direct: opaque.b', one: 'constant: ' });
    expect(built.unresolved).toEqual([]);
  });

  it('says what it cannot resolve instead of guessing', async () => {
    const extra: TestNode[] = [{ name: 'u1', type: 'source' }, { name: 'u2', type: 'source' }];
    const lineage = await lineageOf(dialect, 'select a.k, mystery from "s"."u1" a join "s"."u2" b on a.k = b.k', { extra });
    expect(table(lineage)).toEqual({ k: 'direct: u1.k', mystery: 'direct: ' });
    expect(lineage.unresolved.join('\n')).toMatch(/mystery: could come from/);
  });

  it('reports SQL that does not parse', async () => {
    const lineage = await lineageOf(dialect, 'select from from where');
    expect(lineage.error).toBeTruthy();
    expect(lineage.columns).toEqual([]);
  });
});

describe('DuckDB-only syntax', () => {
  it('handles * exclude and lambdas', async () => {
    const lineage = await lineageOf('duckdb', `select * exclude (status), list_transform([1, 2], x -> x + amount) as l from "s"."orders"`);
    expect(table(lineage)).toEqual({ id: 'direct: orders.id', customer_id: 'direct: orders.customer_id', amount: 'direct: orders.amount', l: 'derived: orders.amount' });
  });
});
