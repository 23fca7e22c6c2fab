import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from './driver.js';
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
import { Dialect, stripTrailingSemicolon } from '../dialect.js';
import { csvLoadErrorMessage, duckdbCsvLoad } from './csv-load-sql.js';
import { LeanLoad } from './lean-load.js';
import { parseSqlWithDuckdb } from './parse-sql.js';

export interface DuckdbAdapterOptions {
  /** Absolute path of the database file, or ':memory:'. */
  path: string;
  threads: number;
  /** Open an existing file read-only and never create one. */
  readOnly?: boolean;
}

/** DuckDB embedded in this process: one instance, one connection per thread. */
export class DuckdbAdapter implements Adapter {
  readonly type = 'duckdb';
  readonly dialect = new Dialect('duckdb');
  // DuckDB views bind by name at query time: dropping a table never drops the views on it.
  readonly capabilities: Capabilities = { ...DEFAULT_CAPABILITIES, merge: true, bulkLoadReadsFile: true };
  private instance: DuckDBInstance | undefined;
  private readonly idle: DuckDBConnection[] = [];
  private readonly all: DuckDBConnection[] = [];
  /** An in-memory instance for parseSql when the warehouse itself is not open. */
  private parser: DuckDBInstance | undefined;
  private readonly lean = new LeanLoad();

  constructor(private readonly options: DuckdbAdapterOptions) {}

  static resolvePath(projectRoot: string, path: string): string {
    return path === ':memory:' || isAbsolute(path) ? path : resolve(projectRoot, path);
  }

  private opening: Promise<void> | undefined;

  /** Idempotent, and safe to call concurrently: every caller waits for the one instance. */
  open(): Promise<void> {
    this.opening ??= this.openOnce().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    if (this.instance) return;
    const { path, readOnly } = this.options;
    if (readOnly && path !== ':memory:' && !existsSync(path)) {
      throw new DatabaseError(`The DuckDB file ${path} does not exist yet`, {}, 'Build the project first (smelt build).');
    }
    if (path !== ':memory:' && !readOnly) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        throw new DatabaseError(`Cannot create the folder for the DuckDB file ${path}: ${(error as Error).message}`, {}, 'Check the target path and its permissions.');
      }
    }
    // A WAL left behind means the last writer died before its checkpoint: DuckDB replays it now.
    const recovering = !readOnly && path !== ':memory:' && existsSync(`${path}.wal`);
    try {
      this.instance = await duckdb.DuckDBInstance.create(path, { threads: String(Math.max(1, this.options.threads)), ...(readOnly && path !== ':memory:' ? { access_mode: 'READ_ONLY' } : {}) });
    } catch (error) {
      throw translateOpenError(error, path);
    }
    if (recovering) await rebuildIndexes(this.instance);
  }

  async acquire(): Promise<Connection> {
    if (!this.instance) await this.open();
    const raw = this.idle.pop() ?? (await this.connect());
    // A CSV load running alone lowered the instance's threads and memory limit: not for this one.
    if (this.lean.active) await this.lean.leave(raw);
    return new DuckdbConnection(raw, () => {
      this.idle.push(raw);
    });
  }

  private async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance!.connect();
    this.all.push(connection);
    return connection;
  }

  async getRelation(connection: Connection, relation: RelationName): Promise<RelationInfo | undefined> {
    const rows = await connection.query<{ table_type: string }>(
      `select table_type from information_schema.tables where table_schema = $1 and table_name = $2 ${relation.database ? 'and table_catalog = $3' : ''}`,
      relation.database ? [relation.schema, relation.identifier, relation.database] : [relation.schema, relation.identifier],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { ...relation, type: row.table_type === 'VIEW' ? 'view' : 'table' };
  }

  async listRelations(connection: Connection, schema: string): Promise<RelationInfo[]> {
    const rows = await connection.query<{ table_name: string; table_type: string }>(
      'select table_name, table_type from information_schema.tables where table_schema = $1 order by table_name',
      [schema],
    );
    return rows.map((r) => ({ schema, identifier: r.table_name, type: r.table_type === 'VIEW' ? 'view' : 'table' }));
  }

  async getColumns(connection: Connection, relation: RelationName): Promise<ColumnMeta[]> {
    // pragma_table_info binds the one relation (2 to 3 ms on a fresh instance); duckdb_columns()
    // first builds every catalog's entries, DuckDB's built-in views included (11 to 20 ms, bench
    // P4). Same data_type text. It fails where the relation is missing or a view no longer binds
    // (a catalog error, which leaves an open transaction usable): duckdb_columns() answers those.
    try {
      // Sorted here: an ORDER BY in the query costs more than the lookup itself (0.85 ms against 0.45).
      const rows = await connection.query<{ cid: number; name: string; type: string }>(`select cid, name, type from pragma_table_info(${this.dialect.literal(this.dialect.relation(relation))})`);
      return rows.sort((a, b) => a.cid - b.cid).map((r) => ({ name: r.name, dataType: r.type }));
    } catch {
      const rows = await connection.query<{ column_name: string; data_type: string }>(
        `select column_name, data_type from duckdb_columns() where schema_name = $1 and table_name = $2 ${relation.database ? 'and database_name = $3 ' : ''}order by column_index`,
        relation.database ? [relation.schema, relation.identifier, relation.database] : [relation.schema, relation.identifier],
      );
      return rows.map((r) => ({ name: r.column_name, dataType: r.data_type }));
    }
  }

  async queryColumns(connection: Connection, sql: string): Promise<ColumnMeta[]> {
    const rows = await connection.query<{ column_name: string; column_type: string }>(`describe (\n${stripTrailingSemicolon(sql)}\n)`);
    return rows.map((r) => ({ name: r.column_name, dataType: r.column_type }));
  }

  async dependentViews(): Promise<DependentView[]> {
    return [];
  }

  /** DuckDB's own CSV reader, in this process, straight from the file: its fastest path. */
  async bulkLoadCsv(connection: Connection, load: CsvBulkLoad): Promise<BulkLoadResult> {
    const interrupt = (): void => {
      if (connection instanceof DuckdbConnection) connection.interrupt();
    };
    load.signal?.addEventListener('abort', interrupt);
    const raw = connection instanceof DuckdbConnection ? connection.rawConnection : undefined;
    try {
      // In memory, the table itself is held under the limit: only a file's written blocks can go.
      const alone = this.options.path !== ':memory:' && this.all.length - this.idle.length === 1;
      if (raw) await this.lean.enter(raw, alone, { keepOrder: load.keepOrder !== false });
      const result = await connection.execute(duckdbCsvLoad(this.dialect, load));
      return { rows: result.rowsAffected ?? 0 };
    } catch (error) {
      const cause = error instanceof DatabaseError && error.cause instanceof Error ? error.cause : undefined;
      const message = cause && csvLoadErrorMessage(cause.message, load);
      throw message ? new DatabaseError(message, {}, undefined, { cause }) : error;
    } finally {
      load.signal?.removeEventListener('abort', interrupt);
      // A failure to put the settings back must not hide the load's own error.
      if (raw) await this.lean.leave(raw).catch(() => undefined);
    }
  }

  async describe(connection: Connection): Promise<string> {
    const [row] = await connection.query<{ v: string }>('select version() as v');
    return `DuckDB ${row?.v ?? '?'} (${this.options.path})`;
  }

  async parseSql(statements: readonly string[]): Promise<ParsedStatement[]> {
    const instance = this.instance ?? (this.parser ??= await duckdb.DuckDBInstance.create(':memory:'));
    return parseSqlWithDuckdb(instance, statements);
  }

  async close(): Promise<void> {
    this.parser?.closeSync();
    this.parser = undefined;
    for (const connection of this.all) connection.closeSync();
    this.all.length = 0;
    this.idle.length = 0;
    this.instance?.closeSync();
    this.instance = undefined;
    this.opening = undefined;
  }
}

/**
 * DuckDB 1.5.5 can lose the index entries of rows it replays from the WAL once that replay is
 * checkpointed: a unique index then accepts duplicates and filtered scans skip those rows
 * (reproduced with a table, a unique index and a process killed after a commit). Rebuilt
 * right after the replay, before any checkpoint, the indexes hold every row again.
 */
async function rebuildIndexes(instance: DuckDBInstance): Promise<void> {
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`select schema_name, index_name, sql from duckdb_indexes() where database_name = current_database() and sql is not null`);
    const indexes = reader.getRowObjectsJson() as { schema_name: string; index_name: string; sql: string }[];
    // One at a time: DuckDB keeps a dropped index's name until its transaction commits.
    for (const index of indexes) {
      await connection.run(`drop index "${index.schema_name.replaceAll('"', '""')}"."${index.index_name.replaceAll('"', '""')}"`);
      await connection.run(index.sql);
    }
  } catch (error) {
    throw new DatabaseError(`Rebuilding the indexes of the DuckDB file after its recovery failed: ${(error as Error).message}`, {}, 'The file was left by a process that stopped mid-write; a unique index that cannot be rebuilt holds duplicate keys.', { cause: error });
  } finally {
    connection.closeSync();
  }
}

class DuckdbConnection implements Connection {
  private released = false;

  constructor(private readonly raw: DuckDBConnection, private readonly onRelease: () => void) {}

  /** For instance-wide settings (LeanLoad). */
  get rawConnection(): DuckDBConnection {
    return this.raw;
  }

  async execute(sql: string): Promise<ExecuteResult> {
    try {
      // run() materializes the result: the count is read from it without another trip to
      // DuckDB's thread (runAndReadAll fetches a chunk more, also for a CREATE VIEW).
      const result = await this.raw.run(sql);
      // CREATE TABLE AS and INSERT answer with a single "Count" column.
      if (result.columnCount === 1 && result.columnName(0) === 'Count' && result.rowCount === 1 && result.chunkCount > 0) {
        return { rowsAffected: Number(result.getChunk(0).getRowValues(0)[0]) };
      }
      return {};
    } catch (error) {
      throw translateError(error, sql);
    }
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      // run() materializes the result on DuckDB's thread; its chunks are then read here without
      // another trip per chunk (runAndReadAll fetches each one, and an empty last one, by a
      // round trip to the thread pool: about 0.2 ms a query). Same values: the same converter.
      const result = params.length > 0 ? await this.raw.run(sql, params as never) : await this.raw.run(sql);
      const names = result.deduplicatedColumnNames();
      const convert = duckdb.JSDuckDBValueConverter;
      const rows: Row[] = [];
      for (let c = 0; c < result.chunkCount; c++) {
        const chunk = result.getChunk(c);
        for (let r = 0; r < chunk.rowCount; r++) {
          const row: Row = {};
          chunk.visitRowValues(r, (value, _row, column, type) => {
            row[names[column]!] = convert(value, type, convert);
          });
          rows.push(row);
        }
      }
      return rows as T[];
    } catch (error) {
      throw translateError(error, sql);
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.execute('begin transaction');
    try {
      const value = await fn();
      await this.execute('commit');
      return value;
    } catch (error) {
      await this.raw.run('rollback').catch(() => undefined);
      throw error;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onRelease();
  }

  /** Stops the statement running on this connection (it then fails). */
  interrupt(): void {
    this.raw.interrupt();
  }
}

function translateError(error: unknown, sql: string): DatabaseError {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0] ?? message;
  const err = new DatabaseError(first, errorPosition(message), undefined, { cause: error });
  (err as DatabaseError & { sql?: string }).sql = sql;
  return err;
}

/**
 * DuckDB ends a message with "LINE 3: from no_such_table\n             ^". The caret gives the
 * column, unless DuckDB cut the start of a long line short ("LINE 3: ...").
 */
function errorPosition(message: string): { line?: number; column?: number } {
  const match = /^(LINE (\d+): )(.*)\n( *)\^/m.exec(message);
  if (!match) return {};
  const line = Number(match[2]);
  if (match[3]!.startsWith('...')) return { line };
  return { line, column: match[4]!.length - match[1]!.length + 1 };
}

function translateOpenError(error: unknown, path: string): DatabaseError {
  const message = error instanceof Error ? error.message : String(error);
  if (/lock/i.test(message)) {
    const holder = /PID (\d+)/.exec(message);
    return new DatabaseError(`The DuckDB file ${path} is in use by another process${holder ? ` (pid ${holder[1]})` : ''}`, {}, 'Wait for the other smelt (or DuckDB client) to finish, or stop it.');
  }
  if (/read-only|Permission denied|permission/i.test(message)) {
    return new DatabaseError(`Cannot open the DuckDB file ${path} for writing: ${message.split('\n')[0]}`, {}, 'Check the file permissions.');
  }
  return new DatabaseError(`Cannot open the DuckDB file ${path}: ${message.split('\n')[0]}`, {}, 'Check the target path in project.yml.');
}
