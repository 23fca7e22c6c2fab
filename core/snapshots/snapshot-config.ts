import { ConfigError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';

/** How a snapshot decides that a row changed, what it does with deleted rows, and its column names (dbt 1.9). */
export interface SnapshotConfig {
  uniqueKey: string[];
  strategy: 'timestamp' | 'check';
  /** timestamp strategy: the column (or expression) that says when a row last changed. */
  updatedAt?: string;
  /** check strategy: the columns compared, or every column. */
  checkCols: 'all' | string[];
  hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  /** dbt_valid_to_current: the value of dbt_valid_to on current rows (SQL), instead of NULL. */
  validToCurrent?: string;
  columns: MetaColumns;
}

export interface MetaColumns {
  scdId: string;
  updatedAt: string;
  validFrom: string;
  validTo: string;
  isDeleted: string;
}

export const HARD_DELETES = ['ignore', 'invalidate', 'new_record'] as const;

/** Reads and checks a snapshot's config; every mistake names the snapshot's file. */
export function snapshotConfig(node: CompiledNode): SnapshotConfig {
  const c = node.config;
  const where = { file: node.path, line: node.startLine, node: node.uniqueId };
  const list = (value: unknown): string[] =>
    value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : String(value).split(',').map((k) => k.trim()).filter(Boolean);

  const uniqueKey = list(c.unique_key);
  if (uniqueKey.length === 0) throw new ConfigError(`Snapshot ${node.name} has no unique_key`, where, "Add unique_key='id' (or a list) to its config.");
  const strategy = c.strategy;
  if (strategy !== 'timestamp' && strategy !== 'check') {
    throw new ConfigError(
      strategy === undefined ? `Snapshot ${node.name} has no strategy` : `Snapshot ${node.name}: unknown strategy '${String(strategy)}'`,
      where,
      "Use strategy='timestamp' with updated_at='column', or strategy='check' with check_cols=['a', 'b'] (or 'all').",
    );
  }
  const updatedAt = typeof c.updated_at === 'string' && c.updated_at.trim() ? c.updated_at.trim() : undefined;
  if (strategy === 'timestamp' && !updatedAt) throw new ConfigError(`Snapshot ${node.name} uses the timestamp strategy but sets no updated_at`, where, "Add updated_at='updated_at' (the column that says when a row last changed).");
  let checkCols: 'all' | string[] = 'all';
  if (strategy === 'check') {
    if (c.check_cols === 'all') checkCols = 'all';
    else {
      checkCols = list(c.check_cols);
      if (checkCols.length === 0) throw new ConfigError(`Snapshot ${node.name} uses the check strategy but sets no check_cols`, where, "Add check_cols=['status', 'amount'] or check_cols='all'.");
    }
  }
  // dbt before 1.9: invalidate_hard_deletes=true.
  const hardDeletes = (c.hard_deletes ?? (c.invalidate_hard_deletes === true ? 'invalidate' : 'ignore')) as SnapshotConfig['hardDeletes'];
  if (!HARD_DELETES.includes(hardDeletes)) {
    throw new ConfigError(`Snapshot ${node.name}: unknown hard_deletes '${String(hardDeletes)}'`, where, `Use one of: ${HARD_DELETES.join(', ')}.`);
  }
  const names = (c.snapshot_meta_column_names ?? {}) as Record<string, unknown>;
  const name = (key: string) => (typeof names[key] === 'string' && names[key] ? (names[key] as string) : key);
  return {
    uniqueKey,
    strategy,
    ...(updatedAt ? { updatedAt } : {}),
    checkCols,
    hardDeletes,
    ...(typeof c.dbt_valid_to_current === 'string' && c.dbt_valid_to_current.trim() ? { validToCurrent: c.dbt_valid_to_current.trim() } : {}),
    columns: { scdId: name('dbt_scd_id'), updatedAt: name('dbt_updated_at'), validFrom: name('dbt_valid_from'), validTo: name('dbt_valid_to'), isDeleted: name('dbt_is_deleted') },
  };
}
