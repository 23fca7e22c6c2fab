import { describe, expect, it } from 'vitest';
import { goldenFiles } from '../../e2e/support/golden.js';
import type { Adapter, RelationInfo } from '../adapters/adapter.js';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { PostgresAdapter } from '../adapters/postgres/postgres-adapter.js';
import type { CompiledNode } from '../manifest/types.js';
import { TableMaterialization } from './table.js';
import { tempIdentifier } from './temp-name.js';
import { ViewMaterialization } from './view.js';

/*
 * Golden SQL: what the view and table materializations send on each dialect. A change to these
 * files is a change in what runs against users' warehouses, so it should be a deliberate one:
 * UPDATE_GOLDEN=1 npx vitest run core/materializations rewrites them.
 */

// Constructing an adapter opens nothing: only its dialect and capabilities are used here.
const ADAPTERS: Record<string, Adapter> = {
  duckdb: new DuckdbAdapter({ path: ':memory:', threads: 1 }),
  postgres: new PostgresAdapter({ host: 'localhost', port: 5432, user: 'nobody', database: 'none', threads: 1 }),
};

const node: CompiledNode = {
  uniqueId: 'model.shop.fct_orders',
  resourceType: 'model',
  name: 'fct_orders',
  packageName: 'shop',
  path: 'models/gold/fct_orders.sql',
  fqn: ['shop', 'gold', 'fct_orders'],
  description: '',
  tags: [],
  columns: {},
  meta: {},
  config: { materialized: 'table', enabled: true, tags: [] },
  relation: { schema: 'analytics_gold', identifier: 'fct_orders' },
  rawSql: '',
  compiledSql: '',
  dependsOn: { nodes: [], macros: [] },
  checksum: '',
  stateChecksum: '',
  startLine: 1,
};

// A trailing semicolon and comment-free SELECT, as users write them.
const SQL = 'select order_id, sum(amount) as amount\nfrom "analytics"."stg_orders"\ngroup by order_id;\n';

const CASES: Record<string, RelationInfo | undefined> = {
  'no-relation': undefined,
  'existing-table': { ...node.relation, type: 'table' },
  'existing-view': { ...node.relation, type: 'view' },
};

const STRATEGIES = { table: new TableMaterialization(), view: new ViewMaterialization() };

const expectGolden = goldenFiles(import.meta.url);

describe.each(Object.keys(ADAPTERS))('golden SQL on %s', (dialectName) => {
  const adapter = ADAPTERS[dialectName]!;
  for (const [materialization, strategy] of Object.entries(STRATEGIES)) {
    for (const [caseName, existing] of Object.entries(CASES)) {
      it(`${materialization}, ${caseName}`, () => {
        const statements = strategy.plan({
          node: { ...node, config: { ...node.config, materialized: materialization as 'table' | 'view' } },
          sql: SQL,
          existing,
          dialect: adapter.dialect,
          cascade: adapter.capabilities.dropCascadesDependentViews,
        });
        expectGolden(`${dialectName}/${materialization}-${caseName}.sql`, statements);
      });
    }
  }
});

describe('plan invariants', () => {
  it('a first build is one CREATE TABLE AS, atomic by itself', () => {
    const statements = STRATEGIES.table.plan({ node, sql: SQL, existing: undefined, dialect: ADAPTERS.duckdb!.dialect, cascade: false });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^create table "analytics_gold"."fct_orders" as \(/);
  });

  it('a rebuild creates the table under a temporary name and renames it into place last', () => {
    for (const existing of Object.values(CASES).filter(Boolean)) {
      const statements = STRATEGIES.table.plan({ node, sql: SQL, existing, dialect: ADAPTERS.duckdb!.dialect, cascade: false });
      expect(statements.some((s) => s.startsWith('create table') && s.includes(tempIdentifier('fct_orders')))).toBe(true);
      expect(statements.at(-1)).toMatch(/^alter table .* rename to "fct_orders"$/);
      expect(statements.filter((s) => s.includes('create table "analytics_gold"."fct_orders"'))).toEqual([]);
    }
  });

  it('drops with cascade only where the adapter says dependent views go with it', () => {
    const existing = CASES['existing-table'];
    const plan = (name: string) => STRATEGIES.view.plan({ node, sql: SQL, existing, dialect: ADAPTERS[name]!.dialect, cascade: ADAPTERS[name]!.capabilities.dropCascadesDependentViews });
    expect(plan('postgres')[0]).toMatch(/ cascade$/);
    expect(plan('duckdb')[0]).not.toMatch(/cascade/);
  });

  it('keeps temporary names within 63 bytes and unique per model', () => {
    const long = 'x'.repeat(70);
    expect(Buffer.byteLength(tempIdentifier(long))).toBeLessThanOrEqual(63);
    expect(tempIdentifier(`${long}a`)).not.toBe(tempIdentifier(`${long}b`));
  });
});
