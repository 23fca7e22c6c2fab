import { describe, expect, it } from 'vitest';
import { goldenFiles } from '../../e2e/support/golden.js';
import { Dialect } from '../adapters/dialect.js';
import { ConfigError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { snapshotConfig } from './snapshot-config.js';
import { firstBuild, keyProblems, planStep, stageSource, type SnapshotPlan } from './snapshot-sql.js';

/* Golden SQL for each snapshot strategy and hard_deletes mode, per dialect (UPDATE_GOLDEN=1 rewrites). */

const expectGolden = goldenFiles(import.meta.url);

function node(config: Record<string, unknown>): CompiledNode {
  return {
    uniqueId: 'snapshot.shop.orders_snapshot', resourceType: 'snapshot', name: 'orders_snapshot', packageName: 'shop', path: 'snapshots/orders.sql',
    fqn: ['shop', 'orders_snapshot'], description: '', tags: [], columns: {}, meta: {}, config: { materialized: 'snapshot', enabled: true, tags: [], ...config },
    relation: { schema: 'snapshots', identifier: 'orders_snapshot' }, rawSql: '', compiledSql: '', dependsOn: { nodes: [], macros: [] }, checksum: '', stateChecksum: '', startLine: 3,
  };
}

const SQL = 'select * from "shop"."orders";';
const staging = { schema: 'snapshots', identifier: 'orders_snapshot__snap__smelt_tmp' };
const columns = {
  source: [{ name: 'id', dataType: 'INTEGER' }, { name: 'status', dataType: 'VARCHAR' }, { name: 'updated_at', dataType: 'TIMESTAMP' }, { name: 'channel', dataType: 'VARCHAR' }],
  target: ['id', 'status', 'updated_at'],
};
const NOW = "cast('2024-06-01 00:00:00.000' as timestamp)";

const CASES: Record<string, Record<string, unknown>> = {
  'timestamp': { unique_key: 'id', strategy: 'timestamp', updated_at: 'updated_at' },
  'check-invalidate': { unique_key: ['id'], strategy: 'check', check_cols: ['status'], hard_deletes: 'invalidate' },
  'check-all-new-record': { unique_key: 'id', strategy: 'check', check_cols: 'all', hard_deletes: 'new_record', dbt_valid_to_current: "cast('9999-12-31' as timestamp)" },
  'check-updated-at': { unique_key: 'id', strategy: 'check', check_cols: ['status'], updated_at: 'updated_at' },
};

describe.each(['duckdb', 'postgres'])('snapshot SQL on %s', (name) => {
  const dialect = new Dialect(name);
  for (const [caseName, config] of Object.entries(CASES)) {
    it(caseName, () => {
      const plan: SnapshotPlan = { dialect, target: node(config).relation, config: snapshotConfig(node(config)), now: NOW };
      expectGolden(`${name}/snapshot-${caseName}.sql`, [firstBuild(plan, SQL), stageSource(plan, staging, SQL), keyProblems(plan, staging), ...planStep(plan, staging, columns).statements]);
    });
  }
});

describe('snapshotConfig', () => {
  it("reads dbt's settings, with its defaults and older spellings", () => {
    expect(snapshotConfig(node(CASES.timestamp!))).toMatchObject({ uniqueKey: ['id'], strategy: 'timestamp', updatedAt: 'updated_at', hardDeletes: 'ignore' });
    expect(snapshotConfig(node({ unique_key: 'a, b', strategy: 'check', check_cols: 'all', invalidate_hard_deletes: true }))).toMatchObject({ uniqueKey: ['a', 'b'], checkCols: 'all', hardDeletes: 'invalidate' });
    expect(snapshotConfig(node({ ...CASES.timestamp, snapshot_meta_column_names: { dbt_valid_from: 'valid_from' } })).columns.validFrom).toBe('valid_from');
  });

  it('names the snapshot, its file and line for each mistake', () => {
    const mistake = (config: Record<string, unknown>) => {
      try {
        snapshotConfig(node(config));
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).where).toBe('snapshots/orders.sql:3');
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(mistake({ strategy: 'timestamp' })).toBe('Snapshot orders_snapshot has no unique_key');
    expect(mistake({ unique_key: 'id' })).toBe('Snapshot orders_snapshot has no strategy');
    expect(mistake({ unique_key: 'id', strategy: 'latest' })).toBe("Snapshot orders_snapshot: unknown strategy 'latest'");
    expect(mistake({ unique_key: 'id', strategy: 'timestamp' })).toMatch(/sets no updated_at/);
    expect(mistake({ unique_key: 'id', strategy: 'check' })).toMatch(/sets no check_cols/);
    expect(mistake({ ...CASES.timestamp, hard_deletes: 'delete' })).toBe("Snapshot orders_snapshot: unknown hard_deletes 'delete'");
  });
});
