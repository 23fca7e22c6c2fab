import pg from 'pg';
import { DatabaseError } from '../../errors.js';
import type { Row } from '../adapter.js';
import type { CreatedSlot, ReplicationSource, ReplicationSourceOptions, SnapshotReader } from '../replication.js';
import { translateConnectError, translateError } from './postgres-adapter.js';

/**
 * Every value as PostgreSQL's text output: the same text pgoutput sends for a change, so a
 * snapshot row and a decoded change of the same row convert to the same event values.
 */
const AS_TEXT = { getTypeParser: () => (value: string) => value };

/** UTC and ISO dates for every output function, whatever the server's defaults. */
const SESSION_SETTINGS = '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c bytea_output=hex';

/** A session on the operational database, for live capture (see ../replication.ts). */
export class PostgresReplicationSource implements ReplicationSource {
  private cursors = 0;

  private constructor(private readonly client: pg.Client, private readonly options: ReplicationSourceOptions) {}

  static async connect(options: ReplicationSourceOptions): Promise<PostgresReplicationSource> {
    const client = new pg.Client(clientConfig(options));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw translateConnectError(error, where(options));
    }
    return new PostgresReplicationSource(client, options);
  }

  get where(): string {
    return where(this.options);
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      return (await this.client.query(sql, params as unknown[])).rows as T[];
    } catch (error) {
      throw translateError(error, sql);
    }
  }

  async stream(sql: string, params: readonly unknown[], fetchSize: number, onRows: (rows: Row[]) => Promise<void>): Promise<number> {
    await this.query('begin');
    try {
      const count = await this.cursor(sql, params, fetchSize, onRows);
      await this.query('commit');
      return count;
    } catch (error) {
      await this.client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  async createSlotWithSnapshot<T>(slot: string, plugin: string, read: (created: CreatedSlot, reader: SnapshotReader) => Promise<T>): Promise<T> {
    // pg sends `replication` in the startup message; its types do not list it.
    const replication = new pg.Client({ ...clientConfig(this.options), replication: 'database' } as pg.ClientConfig);
    replication.on('error', () => undefined);
    try {
      await replication.connect();
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '28000' || e.code === '28P01' || /replication/i.test(e.message ?? '')) {
        throw new DatabaseError(
          `PostgreSQL at ${this.where} refused a replication connection: ${e.message}`,
          {},
          'The initial snapshot needs one (CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT): give the user the REPLICATION attribute (ALTER ROLE name REPLICATION) and allow it in pg_hba.conf (host replication name 127.0.0.1/32 scram-sha-256), or set snapshot: never.',
          { cause: error },
        );
      }
      throw translateConnectError(error, this.where);
    }
    let created: CreatedSlot;
    try {
      const command = `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL ${plugin} EXPORT_SNAPSHOT`;
      const result = await replication.query(command).catch((error: unknown) => {
        throw translateError(error, command);
      });
      const row = result.rows[0] as { consistent_point: string; snapshot_name: string };
      created = { consistentPoint: row.consistent_point, snapshotName: row.snapshot_name };
      // The snapshot lives until the replication connection's next command: import it first.
      await this.query('begin isolation level repeatable read read only');
      await this.query(`set transaction snapshot ${quoteLiteral(created.snapshotName)}`);
    } catch (error) {
      await this.client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      await replication.end().catch(() => undefined);
    }
    try {
      const reader: SnapshotReader = { stream: (sql, fetchSize, onRows) => this.cursor(sql, [], fetchSize, onRows) };
      const value = await read(created, reader);
      await this.query('commit');
      return value;
    } catch (error) {
      await this.client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  async tryLock(name: string): Promise<boolean> {
    const [row] = await this.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [`smelt capture: ${name}`]);
    return !!row?.ok;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Fetches through a cursor inside the open transaction. */
  private async cursor(sql: string, params: readonly unknown[], fetchSize: number, onRows: (rows: Row[]) => Promise<void>): Promise<number> {
    const name = `smelt_capture_${++this.cursors}`;
    const declare = `declare ${name} no scroll cursor for ${sql}`;
    try {
      await this.client.query({ text: declare, values: params as unknown[] });
    } catch (error) {
      throw translateError(error, sql);
    }
    let count = 0;
    for (;;) {
      let rows: Row[];
      try {
        rows = (await this.client.query({ text: `fetch ${fetchSize} from ${name}`, types: AS_TEXT })).rows as Row[];
      } catch (error) {
        throw translateError(error, sql);
      }
      if (rows.length === 0) break;
      count += rows.length;
      await onRows(rows);
      if (rows.length < fetchSize) break;
    }
    await this.query(`close ${name}`);
    return count;
  }
}

function clientConfig(options: ReplicationSourceOptions): pg.ClientConfig {
  return {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionTimeoutMillis: (options.connectTimeoutSeconds ?? 10) * 1000,
    application_name: options.applicationName.slice(0, 63),
    options: SESSION_SETTINGS,
    ...(options.sslmode && options.sslmode !== 'disable' ? { ssl: { rejectUnauthorized: options.sslmode === 'verify-full' } } : {}),
  };
}

function where(options: ReplicationSourceOptions): string {
  return `${options.user}@${options.host}:${options.port}/${options.database}`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
