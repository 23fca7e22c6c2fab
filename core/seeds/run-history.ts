import type { Adapter, Connection } from '../adapters/adapter.js';
import type { RelationName } from '../manifest/types.js';
import { RUN_HISTORY_TABLE, createRunHistory, insertRunHistory, lastSuccessfulLoad } from './seed-sql.js';

export interface RunHistoryEntry {
  invocationId: string;
  command: string;
  nodeId: string;
  relation: RelationName;
  file?: string;
  status: 'success' | 'error';
  message?: string;
  rows?: number;
  checksum?: string;
  startedAt: Date;
  finishedAt: Date;
  error?: string;
}

/**
 * `<target schema>.smelt_run_history` in the warehouse: what was loaded when, from which file
 * and checksum, how many rows, how long it took and how it ended. It is also where `smelt seed`
 * looks up the checksum of the last good load to skip unchanged files.
 */
export class RunHistory {
  readonly relation: RelationName;

  constructor(private readonly adapter: Adapter, schema: string, database?: string) {
    this.relation = { ...(database ? { database } : {}), schema, identifier: RUN_HISTORY_TABLE };
  }

  async ensure(connection: Connection): Promise<void> {
    const { dialect } = this.adapter;
    const exists = await connection.query('select 1 from information_schema.schemata where schema_name = $1', [this.relation.schema]);
    if (exists.length === 0) await connection.execute(dialect.createSchema(this.relation.schema, this.relation.database));
    await connection.execute(createRunHistory(dialect, this.relation));
  }

  async lastSuccess(connection: Connection, nodeId: string, relation: RelationName): Promise<{ checksum: string; rows?: number } | undefined> {
    const rows = await connection.query<{ checksum: string | null; rows_loaded: number | bigint | null }>(lastSuccessfulLoad(this.adapter.dialect, this.relation), [nodeId, relationName(relation)]);
    const row = rows[0];
    if (!row?.checksum) return undefined;
    return { checksum: row.checksum, ...(row.rows_loaded !== null && row.rows_loaded !== undefined ? { rows: Number(row.rows_loaded) } : {}) };
  }

  async record(connection: Connection, entry: RunHistoryEntry): Promise<void> {
    await connection.query(insertRunHistory(this.adapter.dialect, this.relation), [
      entry.invocationId,
      entry.command,
      entry.nodeId,
      relationName(entry.relation),
      entry.file ?? null,
      entry.status,
      entry.message ?? null,
      entry.rows ?? null,
      entry.checksum ?? null,
      timestamp(entry.startedAt),
      timestamp(entry.finishedAt),
      (entry.finishedAt.getTime() - entry.startedAt.getTime()) / 1000,
      entry.error ?? null,
    ]);
  }
}

export function relationName(relation: RelationName): string {
  return [relation.database, relation.schema, relation.identifier].filter(Boolean).join('.');
}

/** UTC, without a zone, as a timestamp column holds it on both databases. */
function timestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
