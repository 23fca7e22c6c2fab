import type { Row } from './adapter.js';

/**
 * A session on an operational PostgreSQL database that live capture reads changes from
 * (core/capture). Plain data crosses this seam; the driver stays in adapters/postgres/.
 * Every value comes back as the database's own text output (bytea as `\x` hex), in UTC and
 * ISO date style, so what the slot decodes and what a snapshot reads look the same.
 */
export interface ReplicationSource {
  /** `user@host:port/database`, for messages. */
  readonly where: string;
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs `sql` in a transaction through a cursor and hands its rows to `onRows`, `fetchSize`
   * at a time (the next chunk is fetched only when `onRows` is done): memory stays bounded
   * however many rows there are. Returns the number of rows.
   */
  stream(sql: string, params: readonly unknown[], fetchSize: number, onRows: (rows: Row[]) => Promise<void>): Promise<number>;
  /**
   * Creates logical replication slot `slot` over a replication connection with an exported
   * snapshot (CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT), and runs `read` in a repeatable
   * read transaction that sees exactly the database as of the slot's consistent point.
   */
  createSlotWithSnapshot<T>(slot: string, plugin: string, read: (created: CreatedSlot, reader: SnapshotReader) => Promise<T>): Promise<T>;
  /** A session-level advisory lock, held until close() (or the process dies). */
  tryLock(name: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface CreatedSlot {
  consistentPoint: string;
  snapshotName: string;
}

/** Reads tables inside the exported snapshot. */
export interface SnapshotReader {
  stream(sql: string, fetchSize: number, onRows: (rows: Row[]) => Promise<void>): Promise<number>;
}

export interface ReplicationSourceOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslmode?: string;
  connectTimeoutSeconds?: number;
  /** Shown in pg_stat_activity. */
  applicationName: string;
}

/** Opens a session (the driver is loaded on demand, as create-adapter.ts does). */
export async function openReplicationSource(options: ReplicationSourceOptions): Promise<ReplicationSource> {
  const { PostgresReplicationSource } = await import('./postgres/replication-source.js');
  return PostgresReplicationSource.connect(options);
}
