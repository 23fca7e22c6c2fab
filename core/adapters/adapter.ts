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
}

export const DEFAULT_CAPABILITIES: Capabilities = {
  transactionalDdl: true,
  dropCascadesDependentViews: false,
  parallelConnections: true,
  merge: false,
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
  /** Views (transitively) built on `relation`, in the order they must be recreated. */
  dependentViews(connection: Connection, relation: RelationName): Promise<DependentView[]>;
  /** A short description for `smelt debug` (server version, file path). */
  describe(connection: Connection): Promise<string>;
  close(): Promise<void>;
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
