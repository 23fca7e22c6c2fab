import type { Dialect } from '../adapters/dialect.js';
import type { RelationName } from '../manifest/types.js';

/** The run history's DDL and DML. Pure: they only build text, so tests can pin them per dialect. */

export const RUN_HISTORY_TABLE = 'smelt_run_history';

/** The run history: one row per seed load (loaded, unchanged or failed), as an audit log. */
export function createRunHistory(dialect: Dialect, relation: RelationName): string {
  return `create table if not exists ${dialect.relation(relation)} (
  invocation_id text not null,
  command text not null,
  node_id text not null,
  relation text not null,
  file text,
  status text not null,
  message text,
  rows_loaded bigint,
  checksum text,
  started_at timestamp not null,
  finished_at timestamp not null,
  duration_seconds double precision not null,
  error text
)`;
}

export const RUN_HISTORY_COLUMNS = [
  'invocation_id', 'command', 'node_id', 'relation', 'file', 'status', 'message', 'rows_loaded', 'checksum', 'started_at', 'finished_at', 'duration_seconds', 'error',
] as const;

export function insertRunHistory(dialect: Dialect, relation: RelationName): string {
  const values = RUN_HISTORY_COLUMNS.map((name, i) => (name.endsWith('_at') ? `cast($${i + 1} as timestamp)` : `$${i + 1}`));
  return `insert into ${dialect.relation(relation)} (${RUN_HISTORY_COLUMNS.join(', ')}) values (${values.join(', ')})`;
}

export function lastSuccessfulLoad(dialect: Dialect, relation: RelationName): string {
  return `select checksum, rows_loaded from ${dialect.relation(relation)} where node_id = $1 and relation = $2 and status = 'success' order by finished_at desc limit 1`;
}
