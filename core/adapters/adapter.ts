import type { Readable } from 'node:stream';
import type { RelationName } from '../manifest/types.js';
import type { Dialect } from './dialect.js';

/**
 * The narrow seam between smelt and a database. Each implementation lives in its own folder and
 * is the only code that imports its driver. Differences in behaviour are capability flags, not
 * `if (type === 'duckdb')` branches elsewhere.
 */
export interface Capabilities {
  /** CREATE/DROP/ALTER can be rolled back. */
  readonly transactionalDdl: boolean;
  /** Dropping a relation with CASCADE also drops views built on it, which must then be restored. */
  readonly dropCascadesDependentViews: boolean;
  /** Several connections may build at once (--threads). */
  readonly parallelConnections: boolean;
  /** MERGE INTO is available. */
  readonly merge: boolean;
  /** bulkLoadCsv reads the CSV file by its path (else it is sent the checked bytes from `open()`). */
  readonly bulkLoadReadsFile: boolean;
  /**
   * Incremental tables get an index on their unique_key: row lookups beat scanning the whole
   * table for MERGE and delete+insert (PostgreSQL). DuckDB's hash joins need none.
   */
  readonly indexUniqueKeys: boolean;
  /**
   * Data tests on one table are faster as one shared scan than as one query each (PostgreSQL,
   * about 5x on bench/tests). DuckDB answers a single `col is null` from its column statistics,
   * so sharing a scan only adds work there.
   */
  readonly sharedTestScans: boolean;
}

export const DEFAULT_CAPABILITIES: Capabilities = {
  transactionalDdl: true,
  dropCascadesDependentViews: false,
  parallelConnections: true,
  merge: false,
  bulkLoadReadsFile: false,
  indexUniqueKeys: false,
  sharedTestScans: false,
};

export type RelationType = 'table' | 'view';

export interface RelationInfo extends RelationName {
  type: RelationType;
}

export interface ColumnMeta {
  name: string;
  dataType: string;
}

export type Row = Record<string, unknown>;

export interface ExecuteResult {
  /** Rows written by the statement, where the database reports it. */
  rowsAffected?: number;
}

/** One database session. Statements on it run in order; transactions belong to it. */
export interface Connection {
  execute(sql: string): Promise<ExecuteResult>;
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs fn inside BEGIN/COMMIT; any error rolls back and is rethrown. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

/** A view that depends on a relation, captured before a drop so it can be recreated after. */
export interface DependentView {
  schema: string;
  name: string;
  definition: string;
}

export interface Adapter {
  readonly type: string;
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  /** Opens the database (or pool) and checks that it answers. */
  open(): Promise<void>;
  acquire(): Promise<Connection>;
  getRelation(connection: Connection, relation: RelationName): Promise<RelationInfo | undefined>;
  listRelations(connection: Connection, schema: string): Promise<RelationInfo[]>;
  getColumns(connection: Connection, relation: RelationName): Promise<ColumnMeta[]>;
  /**
   * The columns a query would return, without running it (DuckDB: DESCRIBE). Where offered, an
   * append-only incremental step inserts straight from the model's query instead of staging it.
   */
  queryColumns?(connection: Connection, sql: string): Promise<ColumnMeta[]>;
  /**
   * Whether a valid b-tree index on `relation` starts with `column`, and the table's estimated
   * row count. An incremental step then looks its batch's keys up through that index: without
   * the hint PostgreSQL's planner scans the whole table to join a batch of 1% of it. Absent
   * where such a join already skips what the batch cannot match (DuckDB prunes the scan by the
   * batch's min and max).
   */
  indexLookup?(connection: Connection, relation: RelationName, column: string): Promise<{ indexed: boolean; estimatedRows: number }>;
  /** Views (transitively) built on `relation`, in the order they must be recreated. */
  dependentViews(connection: Connection, relation: RelationName): Promise<DependentView[]>;
  /**
   * Whether `error` is the database refusing CREATE OR REPLACE VIEW because the new column list
   * does not extend the old one (PostgreSQL: 42P16, a column dropped, renamed or retyped). The
   * view is then dropped and created instead. Absent where a replace never refuses (DuckDB).
   */
  isViewReplaceRefused?(error: unknown): boolean;
  /**
   * Where drops cascade to dependent views: makes this transaction's swap wait for any other
   * swap in progress, until commit. Two swaps that drop the same view deadlock otherwise.
   */
  serializeSwap?(connection: Connection): Promise<void>;
  /**
   * Holds an exclusive lock named `name` until the transaction open on `connection` ends, for
   * every process (PostgreSQL: an advisory transaction lock). Absent where the database has one
   * writer process: smelt's in-process lock (core/runner/write-lock.ts) is then enough (DuckDB).
   */
  lockForTransaction?(connection: Connection, name: string): Promise<void>;
  /**
   * A lock held for a whole command, across processes and machines, released when `release` is
   * called or the process dies (PostgreSQL: a session advisory lock on its own connection).
   * Answers `held` with a description of the holder when another session has it. Absent where
   * a lock file beside the database is enough (DuckDB).
   */
  tryCommandLock?(name: string, owner: string): Promise<{ acquired: true; release(): Promise<void> } | { acquired: false; holder: string }>;
  /**
   * Cancels whatever the adapter's connections are running on a server (a command interrupted
   * with Ctrl-C). Absent where the database lives in the process and ends with it (DuckDB).
   */
  cancelRunning?(): Promise<void>;
  /**
   * Creates the table `load.relation` and fills it from a CSV file through the database's bulk
   * path (never row-by-row INSERTs). Runs on `connection`, inside its open transaction if any.
   */
  bulkLoadCsv(connection: Connection, load: CsvBulkLoad): Promise<BulkLoadResult>;
  /** A short description for `smelt debug` (server version, file path). */
  describe(connection: Connection): Promise<string>;
  /**
   * Parses SELECT statements with the dialect's own parser and returns its syntax trees, one per
   * statement, in order (the docs read column lineage from them). Needs no open warehouse.
   */
  parseSql?(statements: readonly string[]): Promise<ParsedStatement[]>;
  close(): Promise<void>;
}

/** One statement's syntax tree as the dialect's parser gives it, or why it could not be parsed. */
export type ParsedStatement = { ast: unknown; error?: undefined } | { ast?: undefined; error: string };

/** How a command opens the warehouse. */
export interface AdapterOptions {
  /** Only read: never create the database (DuckDB: open an existing file read-only). */
  readOnly?: boolean;
}

/** A CSV file to copy into a table (seeds). Plain data: no driver type crosses this seam. */
export interface CsvBulkLoad {
  /** The table to create, with exactly `columns`, in file order; it must not exist yet. */
  relation: RelationName;
  /**
   * Absolute path of the file, for adapters that read it themselves (capabilities.bulkLoadReadsFile).
   * smelt checks the same bytes meanwhile and rolls the load back if they are not valid.
   */
  path: string;
  /** The file's bytes, checked by smelt as they stream: no byte-order mark or blank lines, LF line ends. */
  open(): Readable;
  columns: CsvColumn[];
  /** One ASCII character; values are quoted with " and a quote inside one is doubled. */
  delimiter: string;
  /** The first record is a header, not data. */
  header: boolean;
  /** Lines before the first record (blank ones) that an adapter reading the file must skip. */
  skipLines: number;
  /** Aborted when smelt's own check of the bytes failed: stop reading, the load is rolled back. */
  signal?: AbortSignal;
  /**
   * false: the rows may be stored in any order, so an adapter may load in parallel (DuckDB).
   * Default true: they read back in file order. Adapters that stream the file keep it anyway.
   */
  keepOrder?: boolean;
  /**
   * Room for records up to this many bytes, where the adapter's reader limits a record's length
   * (DuckDB: 2 MB unless told): set on a second try, after the reader refused a valid file.
   */
  longestRecordBytes?: number;
}

export interface CsvColumn {
  name: string;
  /** SQL type of the table's column; empty values are NULL. */
  type: string;
}

export interface BulkLoadResult {
  rows: number;
}

/** Borrows a connection for fn and always gives it back. */
export async function withConnection<T>(adapter: Adapter, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await adapter.acquire();
  try {
    return await fn(connection);
  } finally {
    await connection.release();
  }
}
