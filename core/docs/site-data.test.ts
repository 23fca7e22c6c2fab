import { describe, expect, it } from 'vitest';
import type { LastResults } from './last-results.js';
import { buildSiteData, SHARD_SIZE } from './site-data.js';
import { testManifest } from './test-manifest.test-support.js';

const manifest = testManifest([
  { name: 'raw_orders', type: 'source', columns: { id: 'Order key.' }, extra: { cdc: { format: 'debezium' } } },
  { name: 'customers', type: 'seed' },
  { name: 'brz_orders', folder: 'bronze', sql: 'select id, amount from "src"."raw_orders"', parents: ['raw_orders'], tags: ['bronze'], columns: { amount: 'Order total, <b>euros</b>.' } },
  { name: 'fct_orders', folder: 'gold', sql: 'select id from "s"."brz_orders"', parents: ['brz_orders', 'customers'], materialized: 'table', description: 'One row per order.' },
  { name: 'not_null_fct_orders_id', type: 'test', parents: ['fct_orders'], sql: 'select 1', extra: { test: { type: 'generic', name: 'not_null', columnName: 'id', attachedNode: 'model.p.fct_orders', kwargs: {}, columns: [], builtin: true } } },
]);

const results: LastResults = {
  run: { command: 'build', generatedAt: '2024-01-02T00:00:00Z', elapsed: 1.5 },
  byNode: new Map([
    ['model.p.fct_orders', { status: 'error', message: 'boom' }],
    ['test.p.not_null_fct_orders_id', { status: 'fail', failures: 3 }],
  ]),
};

describe('buildSiteData', () => {
  const data = buildSiteData({
    manifest,
    results,
    warehouseColumns: { 'model.p.brz_orders': [{ name: 'ID', dataType: 'INTEGER' }, { name: 'amount', dataType: 'DECIMAL(10,2)' }] },
    lineage: {
      'model.p.brz_orders': { columns: [{ name: 'id', sources: [{ node: 'source.p.src.raw_orders', column: 'id' }], transform: 'direct' }, { name: 'extra', sources: [], transform: 'constant' }], unresolved: ['a note'] },
    },
  });
  const byName = new Map(data.index.nodes.map((n, i) => [n.name, { ...n, i }]));

  it('orders nodes by type then name and links them by index', () => {
    expect(data.index.nodes.map((n) => `${n.type}:${n.name}`)).toEqual([
      'cdc source:raw_orders', 'seed:customers', 'model:brz_orders', 'model:fct_orders', 'test:not_null_fct_orders_id',
    ]);
    const fct = byName.get('fct_orders')!;
    expect(fct.up.map((i) => data.index.nodes[i]!.name).sort()).toEqual(['brz_orders', 'customers']);
    expect(fct.down.map((i) => data.index.nodes[i]!.name)).toEqual(['not_null_fct_orders_id']);
  });

  it('merges columns: warehouse order and types, then lineage, then YAML, with YAML descriptions', () => {
    expect(byName.get('brz_orders')!.columns).toEqual([
      ['ID', 'INTEGER', ''],
      ['amount', 'DECIMAL(10,2)', 'Order total, <b>euros</b>.'],
      ['extra', '', ''],
    ]);
    expect(byName.get('raw_orders')!.columns).toEqual([['id', '', 'Order key.']]);
  });

  it('assigns layers from folders and tags, and last run statuses', () => {
    expect(byName.get('brz_orders')!.layer).toBe('bronze');
    expect(byName.get('fct_orders')!.layer).toBe('gold');
    expect(byName.get('customers')!.layer).toBe('source');
    expect(byName.get('fct_orders')!.status).toBe('error');
    expect(byName.get('brz_orders')!.status).toBeUndefined();
    expect(data.index.project.lastRun).toEqual(results.run);
    expect(data.index.project.warehouse).toBe(true);
  });

  it('attaches tests to the node and column they check', () => {
    const test = byName.get('not_null_fct_orders_id')!;
    expect(test.tested).toBe(byName.get('fct_orders')!.i);
    expect(test.testedColumn).toBe('id');
    expect(test.testName).toBe('not_null');
    expect(test.status).toBe('fail');
  });

  it('puts SQL, config and results in detail shards, and lineage by node index', () => {
    const fct = byName.get('fct_orders')!;
    const detail = data.details[fct.shard]![fct.id]!;
    expect(detail.compiledSql).toBe('select id from "s"."brz_orders"');
    expect(detail.relation).toBe('s.fct_orders');
    expect(detail.result).toEqual({ status: 'error', message: 'boom' });
    const source = byName.get('raw_orders')!;
    expect(data.details[source.shard]![source.id]!.source).toEqual({ sourceName: 'src', cdc: { format: 'debezium' } });
    const brz = byName.get('brz_orders')!;
    expect(data.lineage[brz.i]).toEqual({ columns: [['id', 'direct', [[source.i, 'id']]], ['extra', 'constant', []]], unresolved: ['a note'] });
    // Each page's shard carries its own lineage and the downstream columns that read it.
    expect(data.details[brz.shard]![brz.id]!.lineage).toEqual({ ...data.lineage[brz.i], usedBy: {} });
    expect(data.details[source.shard]![source.id]!.lineage).toEqual({ columns: [], unresolved: [], usedBy: { id: [[brz.i, 'id', 'direct']] } });
  });

  it('keeps a column called __proto__ as data', () => {
    const odd = testManifest([{ name: 'a', type: 'source' }, { name: 'b', sql: 'select 1', parents: ['a'] }]);
    const built = buildSiteData({
      manifest: odd,
      lineage: { 'model.p.b': { columns: [{ name: '__proto__', sources: [{ node: 'source.p.src.a', column: '__proto__' }], transform: 'direct' }], unresolved: [] } },
    });
    const a = built.index.nodes.findIndex((n) => n.name === 'a');
    const usedBy = JSON.parse(JSON.stringify(built.details[0]!['source.p.src.a']!.lineage!.usedBy)) as Record<string, unknown>;
    expect(Object.keys(usedBy)).toEqual(['__proto__']);
    expect(a).toBe(0);
  });

  it('shards details in fixed-size groups', () => {
    const many = testManifest(Array.from({ length: SHARD_SIZE * 2 + 5 }, (_, i) => ({ name: `m${i}` })));
    const big = buildSiteData({ manifest: many });
    expect(big.details.map((shard) => Object.keys(shard).length)).toEqual([SHARD_SIZE, SHARD_SIZE, 5]);
    expect(big.index.nodes.every((n, i) => n.shard === Math.floor(i / SHARD_SIZE))).toBe(true);
  });
});
