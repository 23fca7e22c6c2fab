import type { Readable } from 'node:stream';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { DatabaseError } from '../../errors.js';
import type { RelationName } from '../../manifest/types.js';
import {
  DEFAULT_CAPABILITIES,
  type Adapter,
  type Capabilities,
  type ColumnMeta,
  type BulkLoadResult,
  type Connection,
  type CsvBulkLoad,
  type DependentView,
  type ExecuteResult,
  type ParsedStatement,
  type RelationInfo,
  type Row,
} from '../adapter.js';
import { Dialect } from '../dialect.js';
import { postgresCopyFrom } from './copy-sql.js';
import { parseSqlWithPostgres } from './parse-sql.js';

export interface PostgresAdapterOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  threads: number;
  connectTimeoutSeconds?: number;
  sslmode?: string;
  /** Every transaction read-only (docs and other commands that only look). */
  readOnly?: boolean;
}

// Return numeric, bigint and dates as JS values smelt can print and compare, not strings.
pg.types.setTypeParser(20, (v) => Number(v)); // int8
pg.types.setTypeParser(1700, (v) => Number(v)); // numeric

/** `n` is the relation's namespace; `pg_temp` names this session's temporary schema, as in SQL. */
const SCHEMA_MATCH = `(n.nspname = $1 or ($1 = 'pg_temp' and n.oid = pg_my_temp_schema()))`;

/** PostgreSQL through a pg pool sized to --threads. */
export class PostgresAdapter implements Adapter {
  readonly type = 'postgres';
  readonly dialect = new Dialect('postgres');
  readonly capabilities: Capabilities = { ...DEFAULT_CAPABILITIES, dropCascadesDependentViews: true, merge: true, indexUniqueKeys: true, sharedTestScans: true };
  private pool: pg.Pool | undefined;
  /** Server process ids of the connections handed out and not yet released (cancelRunning). */
  private readonly busy = new Set<number>();

  constructor(private readonly options: PostgresAdapterOptions) {}

  get where(): string {
    return `${this.options.user}@${this.options.host}:${this.options.port}/${this.options.database}`;
  }

  /** How every connection of this adapter reaches the server (the pool's, and ones of their own). */
  private clientConfig(): pg.ClientConfig {
    return {
      host: this.options.host,
      port: this.options.port,
      user: this.options.user,
      password: this.options.password,
      database: this.options.database,
      connectionTimeoutMillis: (this.options.connectTimeoutSeconds ?? 10) * 1000,
      ...(this.options.sslmode && this.options.sslmode !== 'disable' ? { ssl: { rejectUnauthorized: this.options.sslmode === 'verify-full' } } : {}),
      application_name: 'smelt',
    };
  }

  async open(): Promise<void> {
    if (this.pool) return;
    this.pool = new pg.Pool({
      ...this.clientConfig(),
      max: Math.max(1, this.options.threads) + 1,
      ...(this.options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
    const connection = await this.acquire();
    await connection.release();
  }

  async acquire(): Promise<Connection> {
    if (!this.pool) await this.open();
    let client: pg.PoolClient;
    try {
      client = await this.pool!.connect();
    } catch (error) {
      throw translateConnectError(error, this.where);
    }
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid !== undefined) this.busy.add(pid);
    return new PostgresConnection(client, () => {
      if (pid !== undefined) this.busy.delete(pid);
    });
  }

  /**
   * Cancels the statements of every connection handed out (pg_cancel_backend, from a connection
   * of its own): a command interrupted with Ctrl-C must not leave its statements running on the
   * server, where they would still hold locks and names the next command needs.
   */
  async cancelRunning(): Promise<void> {
    if (this.busy.size === 0) return;
    const client = new pg.Client(this.clientConfig());
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [[...this.busy]]);
    } finally {
      await client.end();
    }
  }

  async getRelation(connection: Connection, relation: RelationName): Promise<RelationInfo | undefined> {
    const rows = await connection.query<{ relkind: string }>(
      `select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'p', 'f')`,
      [relation.schema, relation.identifier],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { ...relation, type: row.relkind === 'v' ? 'view' : 'table' };
  }

  async listRelations(connection: Connection, schema: string): Promise<RelationInfo[]> {
    const rows = await connection.query<{ relname: string; relkind: string }>(
      `select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f') order by c.relname`,
      [schema],
    );
    return rows.map((r) => ({ schema, identifier: r.relname, type: r.relkind === 'v' ? 'view' : 'table' }));
  }

  async getColumns(connection: Connection, relation: RelationName): Promise<ColumnMeta[]> {
    const rows = await connection.query<{ column_name: string; data_type: string }>(
      `select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as data_type
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where ${SCHEMA_MATCH} and c.relname = $2 and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [relation.schema, relation.identifier],
    );
    return rows.map((r) => ({ name: r.column_name, dataType: r.data_type }));
  }

  async indexLookup(connection: Connection, relation: RelationName, column: string): Promise<{ indexed: boolean; estimatedRows: number }> {
    // Partial indexes cannot answer every key; reltuples is -1 until the table is first analyzed or indexed.
    const [row] = await connection.query<{ indexed: boolean; rows: number }>(
      `select exists (
                select 1 from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
                  join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
                 where i.indrelid = c.oid and i.indisvalid and i.indpred is null and am.amname = 'btree' and a.attname = $3
              ) as indexed, c.reltuples::float8 as rows
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where ${SCHEMA_MATCH} and c.relname = $2`,
      [relation.schema, relation.identifier, column],
    );
    return { indexed: row?.indexed === true, estimatedRows: Math.max(0, Number(row?.rows ?? 0)) };
  }

  /**
   * Views built on a relation, deepest last. Definitions are read with an empty search path so
   * every name in them is schema-qualified and they can be recreated as they were.
   */
  async dependentViews(connection: Connection, relation: RelationName): Promise<DependentView[]> {
    // Most relations have no views on them: one cheap query answers that before the full capture.
    const [direct] = await connection.query<{ n: number }>(
      `select count(*)::int as n from pg_depend d join pg_rewrite r on r.oid = d.objid
        where d.classid = 'pg_rewrite'::regclass and r.ev_class <> d.refobjid
          and d.refobjid = (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2)`,
      [relation.schema, relation.identifier],
    );
    if (!direct || direct.n === 0) return [];
    const [current] = await connection.query<{ path: string }>(`select current_setting('search_path') as path`);
    await connection.query(`select set_config('search_path', 'pg_catalog', true)`);
    try {
      return await connection.query<DependentView & Row>(
        `with recursive target as (
           select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2
         ), deps(oid, depth) as (
           select distinct r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
            where d.classid = 'pg_rewrite'::regclass and d.refobjid = (select oid from target) and r.ev_class <> d.refobjid
           union all
           select r.ev_class, deps.depth + 1 from deps join pg_depend d on d.refobjid = deps.oid join pg_rewrite r on r.oid = d.objid
            where d.classid = 'pg_rewrite'::regclass and r.ev_class <> d.refobjid and deps.depth < 64
         )
         select n.nspname as schema, c.relname as name, pg_get_viewdef(c.oid) as definition
           from (select oid, max(depth) as depth from deps group by oid) d
           join pg_class c on c.oid = d.oid join pg_namespace n on n.oid = c.relnamespace
          where c.relkind = 'v'
          order by d.depth, n.nspname, c.relname`,
        [relation.schema, relation.identifier],
      );
    } finally {
      await connection.query(`select set_config('search_path', $1, true)`, [current?.path ?? 'public']);
    }
  }

  isViewReplaceRefused(error: unknown): boolean {
    return (error as { cause?: { code?: string } })?.cause?.code === '42P16';
  }

  /** A transaction-level advisory lock: released at commit or rollback, seen by deadlock detection. */
  async serializeSwap(connection: Connection): Promise<void> {
    await connection.query(`select pg_advisory_xact_lock(hashtext('smelt: swap with dependent views'))`);
  }

  async lockForTransaction(connection: Connection, name: string): Promise<void> {
    await connection.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`smelt: ${name}`]);
  }

  /** COPY ... FROM STDIN, fed the checked bytes of the file as they are read. */
  async bulkLoadCsv(connection: Connection, load: CsvBulkLoad): Promise<BulkLoadResult> {
    if (!(connection instanceof PostgresConnection)) throw new TypeError('bulkLoadCsv needs a connection from this adapter');
    await connection.execute(this.dialect.createTable(load.relation, load.columns));
    return connection.copyFrom(postgresCopyFrom(this.dialect, load), load.open());
  }

  /**
   * A session advisory lock on a connection of its own (outside the pool), named by `name`.
   * Its application_name carries `owner`, so a second command can say who holds it; the
   * server releases it by itself if this process dies.
   */
  async tryCommandLock(name: string, owner: string): Promise<{ acquired: true; release(): Promise<void> } | { acquired: false; holder: string }> {
    const client = new pg.Client({ ...this.clientConfig(), application_name: owner.slice(0, 63) });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw translateConnectError(error, this.where);
    }
    const key = `smelt lock: ${name}`;
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [key]);
    if (rows[0]?.ok) {
      return { acquired: true, release: async () => { await client.end().catch(() => undefined); } };
    }
    const holder = await client.query<{ application_name: string; pid: number; client_addr: string | null; backend_start: Date }>(
      `select a.application_name, a.pid, a.client_addr::text as client_addr, a.backend_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.objid = (hashtextextended($1, 0) & 4294967295)::bigint::oid
        limit 1`,
      [key],
    ).catch(() => ({ rows: [] as { application_name: string; pid: number; client_addr: string | null; backend_start: Date }[] }));
    await client.end().catch(() => undefined);
    const h = holder.rows[0];
    return { acquired: false, holder: h ? `${h.application_name || 'a session'} (server pid ${h.pid}${h.client_addr ? ` from ${h.client_addr}` : ''}, connected ${new Date(h.backend_start).toISOString()})` : 'another session' };
  }

  async describe(connection: Connection): Promise<string> {
    const [row] = await connection.query<{ v: string }>('select version() as v');
    return `${row?.v ?? 'PostgreSQL'} (${this.where})`;
  }

  async parseSql(statements: readonly string[]): Promise<ParsedStatement[]> {
    return parseSqlWithPostgres(statements);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

class PostgresConnection implements Connection {
  private released = false;
  constructor(private readonly client: pg.PoolClient, private readonly onRelease: () => void = () => undefined) {}

  async execute(sql: string): Promise<ExecuteResult> {
    try {
      const result = await this.client.query(sql);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return last?.rowCount !== null && last?.rowCount !== undefined && last.command !== 'CREATE' ? { rowsAffected: last.rowCount } : {};
    } catch (error) {
      throw translateError(error, sql);
    }
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const result = await this.client.query(sql, params as unknown[]);
      return result.rows as T[];
    } catch (error) {
      throw translateError(error, sql);
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.execute('begin');
    try {
      const value = await fn();
      await this.execute('commit');
      return value;
    } catch (error) {
      await this.client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onRelease();
    this.client.release();
  }

  /**
   * Streams `source` into a COPY ... FROM STDIN. A source error aborts the COPY (CopyFail; the
   * server rolls it back) and is rethrown as it is; a server error stops the source.
   */
  copyFrom(sql: string, source: Readable): Promise<BulkLoadResult> {
    const stream = this.client.query(copyStreams.from(sql));
    return new Promise((resolve, reject) => {
      let failed = false;
      source.on('error', (error) => {
        if (failed) return;
        failed = true;
        source.unpipe(stream);
        // The server answers the CopyFail with an error; only then is the connection free again.
        stream.once('close', () => reject(error));
        stream.destroy(error);
      });
      stream.on('error', (error) => {
        if (failed) return;
        failed = true;
        // Not stream.destroy(): pg-copy-streams has let go of the connection after a server error.
        source.unpipe(stream);
        source.destroy();
        reject(translateError(error, sql));
      });
      stream.on('finish', () => resolve({ rows: stream.rowCount }));
      source.pipe(stream);
    });
  }
}

export function translateError(error: unknown, sql: string): DatabaseError {
  const e = error as { message?: string; position?: string; hint?: string; detail?: string; code?: string };
  const message = e.message ?? String(error);
  let location = {};
  if (e.position) {
    const offset = Number(e.position) - 1;
    const before = sql.slice(0, offset);
    const line = before.split('\n').length;
    location = { line, column: offset - before.lastIndexOf('\n') };
  }
  const err = new DatabaseError(`${message}${e.detail ? ` (${e.detail})` : ''}`, location, e.hint, { cause: error });
  (err as DatabaseError & { sql?: string }).sql = sql;
  return err;
}

export function translateConnectError(error: unknown, where: string): DatabaseError {
  const e = error as { code?: string; message?: string };
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH' || /timeout/i.test(e.message ?? '')) {
    return new DatabaseError(`Cannot reach PostgreSQL at ${where}: ${e.message ?? e.code}`, {}, 'Check that the server is running and the host/port in the target (or PGHOST/PGPORT) are right.');
  }
  if (e.code === '28P01' || e.code === '28000') {
    return new DatabaseError(`PostgreSQL refused the login for ${where}: ${e.message}`, {}, 'Check the user and password of the target (or PGUSER/PGPASSWORD).');
  }
  if (e.code === '3D000') {
    return new DatabaseError(`PostgreSQL has no database for ${where}: ${e.message}`, {}, 'Create the database or fix the target\'s database name.');
  }
  return new DatabaseError(`Cannot connect to PostgreSQL at ${where}: ${e.message ?? String(error)}`);
}
