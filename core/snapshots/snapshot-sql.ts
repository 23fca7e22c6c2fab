import { stripTrailingSemicolon, type Dialect } from '../adapters/dialect.js';
import type { RelationName } from '../manifest/types.js';
import type { SnapshotConfig } from './snapshot-config.js';

/**
 * The SQL of a dbt snapshot (type-2 slowly changing dimension), as dbt 1.9 builds it: the meta
 * columns dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to (and dbt_is_deleted with
 * hard_deletes='new_record'), a row closed when its `updated_at` moves on (timestamp) or a
 * checked column differs (check), deleted rows ignored, invalidated or recorded. Pure: golden
 * files pin it per dialect.
 */
export interface SnapshotPlan {
  dialect: Dialect;
  target: RelationName;
  config: SnapshotConfig;
  /** The snapshot time (a SQL timestamp literal): one value for the whole step. */
  now: string;
}

/** The staged source query carries its updated_at as this column. */
export const STAGED_UPDATED_AT = 'smelt_updated_at';

function q(plan: SnapshotPlan, identifier: string): string {
  return plan.dialect.quote(identifier);
}

/**
 * When a version starts: the row's updated_at (timestamp strategy; check strategy too when it
 * sets one, as dbt does since 1.3), else the time of the snapshot.
 */
function updatedAtExpression(plan: SnapshotPlan): string {
  return plan.config.updatedAt ?? plan.now;
}

/** dbt's snapshot_hash_arguments: md5 of the parts joined with '|'. */
function hash(parts: string[]): string {
  return `md5(${parts.map((p) => `coalesce(cast(${p} as varchar), '')`).join(` || '|' || `)})`;
}

function validToCurrent(plan: SnapshotPlan, fallback: string): string {
  return plan.config.validToCurrent ?? fallback;
}

/** Rows still open: dbt_valid_to is NULL (or dbt_valid_to_current). */
export function isCurrent(plan: SnapshotPlan, alias: string): string {
  const column = `${alias}.${q(plan, plan.config.columns.validTo)}`;
  return plan.config.validToCurrent ? `(${column} is null or ${column} = ${plan.config.validToCurrent})` : `${column} is null`;
}

/** The first build: every source row, open from its updated_at (timestamp) or now (check). */
export function firstBuild(plan: SnapshotPlan, sql: string): string {
  const { columns } = plan.config;
  const updatedAt = updatedAtExpression(plan);
  const select = [
    'smelt_source.*',
    `${hash([...plan.config.uniqueKey.map((k) => `smelt_source.${q(plan, k)}`), updatedAt])} as ${q(plan, columns.scdId)}`,
    `${updatedAt} as ${q(plan, columns.updatedAt)}`,
    `${updatedAt} as ${q(plan, columns.validFrom)}`,
    `${validToCurrent(plan, `nullif(${updatedAt}, ${updatedAt})`)} as ${q(plan, columns.validTo)}`,
    ...(plan.config.hardDeletes === 'new_record' ? [`'False' as ${q(plan, columns.isDeleted)}`] : []),
  ];
  return plan.dialect.createTableAs(plan.target, `select\n  ${select.join(',\n  ')}\nfrom (\n${stripTrailingSemicolon(sql)}\n) as smelt_source`);
}

/** The source query, staged once per step with its updated_at beside it. */
export function stageSource(plan: SnapshotPlan, staging: RelationName, sql: string): string {
  return plan.dialect.createTableAs(staging, `select smelt_source.*, ${updatedAtExpression(plan)} as ${q(plan, STAGED_UPDATED_AT)}\nfrom (\n${stripTrailingSemicolon(sql)}\n) as smelt_source`);
}

/** Source rows whose key has a NULL part, and keys that occur more than once: both would break the history. */
export function keyProblems(plan: SnapshotPlan, staging: RelationName): string {
  const keys = plan.config.uniqueKey.map((k) => q(plan, k));
  const table = plan.dialect.relation(staging);
  return `select
  (select count(*) from ${table} where ${keys.map((k) => `${k} is null`).join(' or ')}) as null_keys,
  (select count(*) from (select ${keys.join(', ')} from ${table} group by ${keys.join(', ')} having count(*) > 1) as d) as duplicate_keys`;
}

export interface SnapshotColumns {
  /** Columns of the staged source query, without smelt_updated_at. */
  source: { name: string; dataType: string }[];
  /** Data columns of the snapshot table (without the meta columns). */
  target: string[];
}

/**
 * One incremental step, in order: new source columns added; changed rows closed; deleted rows
 * recorded (new_record) and closed (invalidate, new_record); new versions inserted for every key
 * without an open row. The statement marked `rows` is the one whose count is reported.
 */
export function planStep(plan: SnapshotPlan, staging: RelationName, columns: SnapshotColumns): { statements: string[]; insertIndex: number } {
  const { config, dialect, now } = plan;
  const m = config.columns;
  const T = dialect.relation(plan.target);
  const S = dialect.relation(staging);
  const keyMatch = (a: string, b: string) => config.uniqueKey.map((k) => `${a}.${q(plan, k)} = ${b}.${q(plan, k)}`).join(' and ');
  const targetNames = new Set(columns.target.map((c) => c.toLowerCase()));
  const statements: string[] = [];

  // dbt adds columns that appear in the source query; it never drops any.
  for (const column of columns.source) {
    if (!targetNames.has(column.name.toLowerCase())) statements.push(`alter table ${T} add column ${q(plan, column.name)} ${column.dataType}`);
  }

  const deleted = config.hardDeletes === 'new_record' ? ` or t.${q(plan, m.isDeleted)} = 'True'` : '';
  const changed = config.strategy === 'timestamp'
    ? `t.${q(plan, m.validFrom)} < s.${q(plan, STAGED_UPDATED_AT)}`
    : (config.checkCols === 'all' ? columns.source.map((c) => c.name).filter((c) => !config.uniqueKey.includes(c)) : config.checkCols)
        .map((c) => `t.${q(plan, c)} is distinct from s.${q(plan, c)}`).join(' or ') || 'false';
  statements.push(
    `update ${T} as t\nset ${q(plan, m.validTo)} = s.${q(plan, STAGED_UPDATED_AT)}\nfrom ${S} as s\nwhere ${keyMatch('t', 's')}\n  and ${isCurrent(plan, 't')}\n  and (${changed}${deleted})`,
  );

  const missing = `not exists (select 1 from ${S} as s where ${keyMatch('s', 't')})`;
  if (config.hardDeletes === 'new_record') {
    const kept = columns.target.map((c) => q(plan, c));
    statements.push(
      `insert into ${T} (${[...kept, q(plan, m.scdId), q(plan, m.updatedAt), q(plan, m.validFrom), q(plan, m.validTo), q(plan, m.isDeleted)].join(', ')})\n` +
        `select ${[...kept.map((c) => `t.${c}`), `${hash([`t.${q(plan, m.scdId)}`, now])}`, now, now, validToCurrent(plan, `nullif(${now}, ${now})`), `'True'`].join(', ')}\n` +
        `from ${T} as t\nwhere ${isCurrent(plan, 't')} and t.${q(plan, m.isDeleted)} = 'False'\n  and ${missing}`,
    );
  }
  if (config.hardDeletes !== 'ignore') {
    statements.push(
      `update ${T} as t\nset ${q(plan, m.validTo)} = ${now}\nwhere ${isCurrent(plan, 't')}${config.hardDeletes === 'new_record' ? ` and t.${q(plan, m.isDeleted)} = 'False'` : ''}\n  and ${missing}`,
    );
  }

  const inserted = columns.source.map((c) => q(plan, c.name));
  const updatedAt = `s.${q(plan, STAGED_UPDATED_AT)}`;
  statements.push(
    `insert into ${T} (${[...inserted, q(plan, m.scdId), q(plan, m.updatedAt), q(plan, m.validFrom), q(plan, m.validTo), ...(config.hardDeletes === 'new_record' ? [q(plan, m.isDeleted)] : [])].join(', ')})\n` +
      `select ${[...inserted.map((c) => `s.${c}`), hash([...config.uniqueKey.map((k) => `s.${q(plan, k)}`), updatedAt]), updatedAt, updatedAt, validToCurrent(plan, `nullif(${updatedAt}, ${updatedAt})`), ...(config.hardDeletes === 'new_record' ? [`'False'`] : [])].join(', ')}\n` +
      `from ${S} as s\nwhere not exists (select 1 from ${T} as t where ${keyMatch('t', 's')} and ${isCurrent(plan, 't')})`,
  );
  return { statements, insertIndex: statements.length - 1 };
}
