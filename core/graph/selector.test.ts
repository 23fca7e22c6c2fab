import { describe, it, expect } from 'vitest';
import { UsageError } from '../errors.js';
import type { CompiledNode, Manifest, ManifestNode, NodeConfig, SourceNode } from '../manifest/types.js';
import { Dag } from './dag.js';
import { selectNodes, selectNodesDetailed, type SelectionOptions } from './selector.js';

/*
 * The project under test:
 *
 *   source raw.orders ──> stg_orders ──┬──> orders_enriched ──┬──> revenue ──> (assert_revenue_positive, unit_revenue)
 *                          │  (not_null) │                     └──> customer_ltv
 *                          └──> orders_snapshot                     ^
 *   source raw.customers ─┐              │                          │
 *   seed countries ───────┴> stg_customers ──> customer_summary ────┘
 *                              └── relationships test (also on orders_enriched)
 */
const PROJECT = 'shop';

function compiled(
  resourceType: CompiledNode['resourceType'],
  name: string,
  path: string,
  folders: string[],
  parents: string[],
  config: Partial<NodeConfig> = {},
): CompiledNode {
  return {
    uniqueId: `${resourceType}.${PROJECT}.${name}`,
    resourceType,
    name,
    packageName: PROJECT,
    path,
    fqn: [PROJECT, ...folders, name],
    description: '',
    tags: [],
    columns: {},
    meta: {},
    config: { materialized: 'view', enabled: true, tags: [], ...config },
    relation: { schema: 'main', identifier: name },
    rawSql: '',
    compiledSql: '',
    dependsOn: { nodes: parents, macros: [] },
    checksum: '',
    startLine: 1,
  };
}

const model = (name: string, folder: string, parents: string[], config: Partial<NodeConfig> = {}) =>
  compiled('model', name, `models/${folder}/${name}.sql`, [folder], parents, config);

function source(sourceName: string, name: string): SourceNode {
  return {
    uniqueId: `source.${PROJECT}.${sourceName}.${name}`,
    resourceType: 'source',
    name,
    sourceName,
    packageName: PROJECT,
    path: 'models/bronze/sources.yml',
    fqn: [PROJECT, 'bronze', sourceName, name],
    description: '',
    tags: [],
    columns: {},
    meta: {},
    relation: { schema: 'raw', identifier: name },
    config: { enabled: true, tags: [] },
  };
}

function buildManifest(): Manifest {
  const nodes = [
    compiled('seed', 'countries', 'seeds/countries.csv', [], [], { materialized: 'seed' }),
    model('stg_orders', 'bronze', ['source.shop.raw.orders'], { tags: ['nightly'] }),
    model('stg_customers', 'bronze', ['source.shop.raw.customers', 'seed.shop.countries']),
    model('orders_enriched', 'silver', ['model.shop.stg_orders', 'model.shop.stg_customers'], {
      materialized: 'table',
      tags: ['nightly'],
    }),
    model('customer_summary', 'silver', ['model.shop.stg_customers'], { materialized: 'ephemeral' }),
    model('revenue', 'gold', ['model.shop.orders_enriched'], {
      materialized: 'table',
      schema: 'gold',
      tags: ['nightly', 'finance'],
      meta: { owner: 'ana' },
    }),
    model('customer_ltv', 'gold', ['model.shop.orders_enriched', 'model.shop.customer_summary'], {
      materialized: 'incremental',
      schema: 'gold',
      full_refresh: false,
    }),
    model('legacy', 'gold', [], { enabled: false }),
    compiled('snapshot', 'orders_snapshot', 'snapshots/orders_snapshot.sql', [], ['model.shop.stg_orders'], {
      materialized: 'snapshot',
    }),
    compiled('test', 'not_null_stg_orders_id', 'models/bronze/schema.yml', ['bronze'], ['model.shop.stg_orders'], {
      materialized: 'test',
      test_type: 'generic',
      test_name: 'not_null',
    }),
    compiled(
      'test',
      'relationships_orders_enriched_customer_id',
      'models/silver/schema.yml',
      ['silver'],
      ['model.shop.orders_enriched', 'model.shop.stg_customers'],
      { materialized: 'test', test_type: 'generic', test_name: 'relationships' },
    ),
    compiled('test', 'assert_revenue_positive', 'tests/assert_revenue_positive.sql', [], ['model.shop.revenue'], {
      materialized: 'test',
      test_type: 'singular',
    }),
    compiled('test', 'unit_revenue', 'models/gold/schema.yml', ['gold'], ['model.shop.revenue'], {
      materialized: 'test',
      test_type: 'unit',
    }),
  ];
  const sources = [source('raw', 'orders'), source('raw', 'customers')];

  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const s of sources) parentMap[s.uniqueId] = [];
  for (const n of nodes) parentMap[n.uniqueId] = n.dependsOn.nodes;
  for (const id of Object.keys(parentMap)) childMap[id] = [];
  for (const [child, parents] of Object.entries(parentMap)) for (const p of parents) childMap[p]!.push(child);

  return {
    metadata: {
      smeltVersion: '0.1.0',
      generatedAt: '2024-01-01T00:00:00Z',
      projectName: PROJECT,
      targetName: 'dev',
      adapterType: 'duckdb',
      invocationId: 'test',
    },
    nodes: Object.fromEntries(nodes.map((n) => [n.uniqueId, n])),
    sources: Object.fromEntries(sources.map((s) => [s.uniqueId, s])),
    macros: {},
    parentMap,
    childMap,
  };
}

const manifest = buildManifest();
const dag = Dag.fromParentMap(manifest.parentMap);

/** Short names (`raw.orders` for sources) keep expectations readable. */
function shortName(id: string): string {
  const node: ManifestNode = manifest.nodes[id] ?? manifest.sources[id]!;
  return node.resourceType === 'source' ? `${node.sourceName}.${node.name}` : node.name;
}

function pick(options: SelectionOptions): string[] {
  return selectNodes(manifest, dag, options).map(shortName);
}

/** Selection without tests, so graph and method behaviour is not muddied by indirect selection. */
const NO_TESTS: SelectionOptions['resourceTypes'] = ['model', 'seed', 'snapshot', 'source'];
function pickNoTests(...select: string[]): string[] {
  return pick({ select, resourceTypes: NO_TESTS });
}

/** Order-insensitive comparison for the many cases where only membership matters. */
function sorted(names: string[]): string[] {
  return [...names].sort();
}

describe('selectNodes: defaults and resource types', () => {
  it('selects every enabled node, in topological order, when nothing is selected', () => {
    const all = selectNodes(manifest, dag, {});
    const expected = dag.topologicalOrder().filter((id) => id !== 'model.shop.legacy');
    expect(all).toEqual(expected);
    expect(all).toHaveLength(14);
  });

  it('treats empty and whitespace-only select items as no selection', () => {
    expect(selectNodes(manifest, dag, { select: ['', '  '] })).toEqual(selectNodes(manifest, dag, {}));
  });

  it('never selects disabled nodes', () => {
    expect(pick({ select: ['legacy'] })).toEqual([]);
    expect(pick({ select: ['path:models/gold'], resourceTypes: ['model'] })).not.toContain('legacy');
  });

  it('filters by resource type', () => {
    expect(pick({ resourceTypes: ['model'] })).toEqual([
      'stg_customers',
      'customer_summary',
      'stg_orders',
      'orders_enriched',
      'customer_ltv',
      'revenue',
    ]);
    expect(pick({ resourceTypes: ['seed', 'source'] })).toEqual(['countries', 'raw.customers', 'raw.orders']);
  });
});

describe('selectNodes: names, fqn and wildcards', () => {
  it('selects by node name', () => {
    expect(pickNoTests('revenue')).toEqual(['revenue']);
    expect(pickNoTests('countries')).toEqual(['countries']);
  });

  it('supports shell-style wildcards in names', () => {
    expect(sorted(pickNoTests('stg_*'))).toEqual(['stg_customers', 'stg_orders']);
    expect(pickNoTests('stg_?rders')).toEqual(['stg_orders']);
    expect(sorted(pickNoTests('customer_*'))).toEqual(['customer_ltv', 'customer_summary']);
  });

  it('selects a whole folder by its fqn prefix, with or without the package name', () => {
    expect(sorted(pickNoTests('bronze'))).toEqual(['stg_customers', 'stg_orders']);
    expect(sorted(pickNoTests('shop.silver'))).toEqual(['customer_summary', 'orders_enriched']);
    expect(sorted(pickNoTests('fqn:gold'))).toEqual(['customer_ltv', 'revenue']);
  });

  it('selects by dotted fqn path, with wildcards per part', () => {
    expect(pickNoTests('bronze.stg_orders')).toEqual(['stg_orders']);
    expect(pickNoTests('shop.gold.rev*')).toEqual(['revenue']);
    expect(sorted(pickNoTests('*.stg_*'))).toEqual(['stg_customers', 'stg_orders']);
    expect(pickNoTests('silver.stg_orders')).toEqual([]);
  });

  it('does not match sources by name or fqn (that is what source: is for)', () => {
    expect(pick({ select: ['orders', 'raw', 'fqn:bronze.raw'], resourceTypes: ['source'] })).toEqual([]);
  });

  it('treats a value containing a slash as a path and a file name as a file', () => {
    expect(sorted(pickNoTests('models/silver'))).toEqual(['customer_summary', 'orders_enriched']);
    expect(pickNoTests('countries.csv')).toEqual(['countries']);
    expect(pickNoTests('file:revenue')).toEqual(['revenue']);
  });
});

describe('selectNodes: union, intersection and exclusion', () => {
  it('unions space-separated selectors and separate items', () => {
    expect(pickNoTests('stg_orders revenue', 'countries')).toEqual(['countries', 'stg_orders', 'revenue']);
  });

  it('intersects comma-separated selectors', () => {
    expect(pickNoTests('tag:nightly,config.materialized:table')).toEqual(['orders_enriched', 'revenue']);
    expect(pickNoTests('gold,tag:finance')).toEqual(['revenue']);
    expect(pickNoTests('+revenue,bronze')).toEqual(['stg_customers', 'stg_orders']);
  });

  it('removes excluded nodes, with the full syntax available in --exclude', () => {
    expect(pick({ select: ['+revenue'], exclude: ['bronze source:raw'], resourceTypes: NO_TESTS })).toEqual([
      'countries',
      'orders_enriched',
      'revenue',
    ]);
    expect(pick({ exclude: ['stg_orders+', 'tag:nightly'], resourceTypes: ['model'] })).toEqual([
      'stg_customers',
      'customer_summary',
    ]);
  });
});

describe('selectNodes: graph operators', () => {
  it('+name adds all ancestors', () => {
    expect(pickNoTests('+orders_enriched')).toEqual([
      'countries',
      'raw.customers',
      'stg_customers',
      'raw.orders',
      'stg_orders',
      'orders_enriched',
    ]);
  });

  it('name+ adds all descendants', () => {
    expect(pickNoTests('stg_orders+')).toEqual(['stg_orders', 'orders_enriched', 'customer_ltv', 'revenue', 'orders_snapshot']);
  });

  it('limits depth with n+name and name+n', () => {
    expect(pickNoTests('1+orders_enriched')).toEqual(['stg_customers', 'stg_orders', 'orders_enriched']);
    expect(sorted(pickNoTests('2+customer_summary'))).toEqual(['countries', 'customer_summary', 'raw.customers', 'stg_customers']);
    expect(pickNoTests('stg_customers+1')).toEqual(['stg_customers', 'customer_summary', 'orders_enriched']);
    expect(pickNoTests('0+revenue+0')).toEqual(['revenue']);
  });

  it('+name+ adds both sides', () => {
    expect(pickNoTests('+customer_summary+')).toEqual([
      'countries',
      'raw.customers',
      'stg_customers',
      'customer_summary',
      'customer_ltv',
    ]);
    expect(pickNoTests('1+customer_summary+1')).toEqual(['stg_customers', 'customer_summary', 'customer_ltv']);
  });

  it('@name adds descendants and every ancestor of those descendants', () => {
    expect(sorted(pickNoTests('@customer_summary'))).toEqual(
      sorted([
        'customer_summary',
        'customer_ltv',
        // ancestors of customer_ltv through orders_enriched, not just of customer_summary
        'orders_enriched',
        'stg_orders',
        'raw.orders',
        'stg_customers',
        'raw.customers',
        'countries',
      ]),
    );
  });

  it('applies graph operators to every node a method matches', () => {
    expect(pickNoTests('tag:finance+', 'source:raw.customers+1')).toEqual(['raw.customers', 'stg_customers', 'revenue']);
  });
});

describe('selectNodes: methods', () => {
  it('tag:, including wildcards and source tags from config', () => {
    expect(pickNoTests('tag:nightly')).toEqual(['stg_orders', 'orders_enriched', 'revenue']);
    expect(pickNoTests('tag:fin*')).toEqual(['revenue']);
  });

  it('path: selects files and folder prefixes, with globs', () => {
    expect(sorted(pickNoTests('path:models/gold'))).toEqual(['customer_ltv', 'revenue']);
    expect(sorted(pickNoTests('path:./models/gold/'))).toEqual(['customer_ltv', 'revenue']);
    expect(pickNoTests('path:models/*/stg_orders.sql')).toEqual(['stg_orders']);
    expect(sorted(pickNoTests('path:models/**/customer_*.sql'))).toEqual(['customer_ltv', 'customer_summary']);
    expect(pickNoTests('path:seeds/countries.csv')).toEqual(['countries']);
    expect(pickNoTests('path:models/gol')).toEqual([]);
    expect(sorted(pick({ select: ['path:models/bronze/sources.yml'] }))).toEqual(['raw.customers', 'raw.orders']);
  });

  it('config.<key>: compares config values, lists by membership, booleans case-insensitively', () => {
    expect(sorted(pickNoTests('config.schema:gold'))).toEqual(['customer_ltv', 'revenue']);
    expect(pickNoTests('config.materialized:ephemeral')).toEqual(['customer_summary']);
    expect(pickNoTests('config.tags:finance')).toEqual(['revenue']);
    expect(pickNoTests('config.full_refresh:False')).toEqual(['customer_ltv']);
    expect(pickNoTests('config.meta.owner:ana')).toEqual(['revenue']);
    expect(pickNoTests('config.enabled:true')).toHaveLength(10);
    expect(pickNoTests('config.nonexistent:x')).toEqual([]);
  });

  it('resource_type:', () => {
    expect(pickNoTests('resource_type:snapshot')).toEqual(['orders_snapshot']);
    expect(pick({ select: ['resource_type:test'] })).toHaveLength(4);
  });

  it('source: by source name, table, or package.source.table', () => {
    expect(pickNoTests('source:raw')).toEqual(['raw.customers', 'raw.orders']);
    expect(pickNoTests('source:raw.orders')).toEqual(['raw.orders']);
    expect(pickNoTests('source:shop.raw.customers')).toEqual(['raw.customers']);
    expect(pickNoTests('source:raw.cust*')).toEqual(['raw.customers']);
    expect(pickNoTests('source:other')).toEqual([]);
  });

  it('package:, including package:this', () => {
    expect(pickNoTests('package:shop')).toHaveLength(10);
    expect(pickNoTests('package:this')).toHaveLength(10);
    expect(pickNoTests('package:dbt_utils')).toEqual([]);
  });

  it('test_type: and test_name:', () => {
    expect(sorted(pick({ select: ['test_type:generic'] }))).toEqual([
      'not_null_stg_orders_id',
      'relationships_orders_enriched_customer_id',
    ]);
    expect(pick({ select: ['test_type:singular'] })).toEqual(['assert_revenue_positive']);
    expect(pick({ select: ['test_type:data'] })).toEqual(['assert_revenue_positive']);
    expect(pick({ select: ['test_type:unit'] })).toEqual(['unit_revenue']);
    expect(pick({ select: ['test_name:not_*'] })).toEqual(['not_null_stg_orders_id']);
  });

  it('delegates to extraMethods, keeping only known ids', () => {
    const extraMethods = {
      state: (value: string) =>
        value === 'modified' ? new Set(['model.shop.stg_customers', 'model.shop.gone']) : new Set<string>(),
    };
    expect(pick({ select: ['state:modified+1'], extraMethods, resourceTypes: ['model'] })).toEqual([
      'stg_customers',
      'customer_summary',
      'orders_enriched',
    ]);
    expect(pick({ select: ['state:new'], extraMethods })).toEqual([]);
  });

  it('does not let extraMethods shadow built-in methods or inherited object keys', () => {
    const extraMethods = { tag: () => new Set(['model.shop.stg_customers']) };
    expect(pick({ select: ['tag:finance'], extraMethods, resourceTypes: ['model'] })).toEqual(['revenue']);
    expect(() => pick({ select: ['toString:x'] })).toThrow(UsageError);
  });
});

describe('selectNodes: indirect test selection (eager)', () => {
  it('adds tests attached to a selected model', () => {
    expect(pick({ select: ['revenue'] })).toEqual(['revenue', 'assert_revenue_positive', 'unit_revenue']);
  });

  it('adds a test when any one of its parents is selected', () => {
    expect(pick({ select: ['stg_customers'] })).toEqual(['stg_customers', 'relationships_orders_enriched_customer_id']);
  });

  it('adds tests of ancestors reached through graph operators', () => {
    expect(pick({ select: ['+stg_orders'] })).toEqual(['raw.orders', 'stg_orders', 'not_null_stg_orders_id']);
  });

  it('only when tests can be part of the result', () => {
    expect(pick({ select: ['revenue'], resourceTypes: ['model'] })).toEqual(['revenue']);
    expect(pick({ select: ['revenue'], resourceTypes: ['model', 'test'] })).toEqual([
      'revenue',
      'assert_revenue_positive',
      'unit_revenue',
    ]);
    expect(pick({ select: ['revenue'], resourceTypes: ['test'] })).toEqual(['assert_revenue_positive', 'unit_revenue']);
  });

  it('excluding a model excludes every test touching it (exclusion is greedy)', () => {
    const selected = pick({ select: ['bronze silver'], exclude: ['stg_customers'] });
    expect(selected).toEqual(['customer_summary', 'stg_orders', 'orders_enriched', 'not_null_stg_orders_id']);
  });
});

describe('selectNodes: unmatched selectors and errors', () => {
  it('reports specs that match nothing instead of failing', () => {
    const result = selectNodesDetailed(manifest, dag, {
      select: ['nope tag:nightly', 'tag:missing,stg_orders', 'nope'],
      exclude: ['source:ghost'],
    });
    expect(result.unmatched).toEqual(['nope', 'tag:missing,stg_orders', 'source:ghost']);
    expect(result.selected.map(shortName)).toContain('revenue');
  });

  it('reports nothing unmatched when every spec matches', () => {
    expect(selectNodesDetailed(manifest, dag, { select: ['revenue'], exclude: ['tag:finance'] })).toEqual({
      selected: [],
      unmatched: [],
    });
  });

  it('rejects an unknown method, naming it and listing known ones', () => {
    const extraMethods = { state: () => new Set<string>() };
    let error: unknown;
    try {
      selectNodes(manifest, dag, { select: ['tga:nightly'], extraMethods });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.message).toContain("'tga'");
    expect(usage.message).toContain("'tga:nightly'");
    expect(usage.hint).toContain('config.<key>');
    expect(usage.hint).toContain('state');
    expect(usage.hint).toContain("Did you mean 'tag'?");
  });

  it('rejects an unknown method in --exclude as well, before selecting anything', () => {
    expect(() => selectNodes(manifest, dag, { exclude: ['bogus:x'] })).toThrow(/bogus/);
  });

  it.each(['+', '3+', '@', 'tag:', '+tag:', ':x', '@+stg_orders', 'a,,b', 'stg_orders,', 'a++', 'config:table', 'config.:x'])(
    'rejects the malformed selector %j with a hint',
    (selector) => {
      let error: unknown;
      try {
        selectNodes(manifest, dag, { select: [selector] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).hint).toBeTruthy();
    },
  );

  it('rejects invalid values for enumerated methods', () => {
    expect(() => pick({ select: ['resource_type:table'] })).toThrow(/resource type 'table'/);
    expect(() => pick({ select: ['test_type:fancy'] })).toThrow(/test type 'fancy'/);
    expect(() => pick({ select: ['source:a.b.c.d'] })).toThrow(UsageError);
  });
});

describe('selectNodes: deterministic order', () => {
  it('returns the same topological order whatever order selectors are given in', () => {
    const forward = selectNodes(manifest, dag, { select: ['revenue', 'countries', 'stg_orders+1'] });
    const backward = selectNodes(manifest, dag, { select: ['stg_orders+1 countries', 'revenue'] });
    expect(backward).toEqual(forward);
    const order = dag.topologicalOrder();
    expect(forward).toEqual(order.filter((id) => forward.includes(id)));
  });

  it('does not depend on the insertion order of the manifest', () => {
    const reversed: Manifest = {
      ...manifest,
      nodes: Object.fromEntries(Object.entries(manifest.nodes).reverse()),
      sources: Object.fromEntries(Object.entries(manifest.sources).reverse()),
    };
    const reversedDag = Dag.fromParentMap(Object.fromEntries(Object.entries(manifest.parentMap).reverse()));
    expect(selectNodes(reversed, reversedDag, { select: ['@stg_customers'] })).toEqual(
      selectNodes(manifest, dag, { select: ['@stg_customers'] }),
    );
  });
});
