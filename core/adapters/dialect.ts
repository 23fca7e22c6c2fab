import type { RelationName } from '../manifest/types.js';
import type { RelationType } from './adapter.js';

/**
 * SQL text generation for one database: quoting and DDL/DML strings. Pure: it never executes
 * anything, so golden files can pin exactly what each materialization sends.
 */
export class Dialect {
  constructor(readonly name: string) {}

  quote(identifier: string): string {
    return `"${identifier.replaceAll('"', '""')}"`;
  }

  /**
   * A column named in config (unique_key, indexes) as the database reads the name unquoted,
   * which is how dbt writes it into SQL: PostgreSQL folds a plain name to lower case, so
   * `unique_key='ID'` means column id; DuckDB matches names without regard to case anyway. A
   * name written in double quotes (`'"ID"'`) is taken as it is, for a column created quoted.
   */
  configuredColumn(name: string): string {
    const quoted = /^"(.+)"$/.exec(name);
    if (quoted) return quoted[1]!.replaceAll('""', '"');
    return this.name === 'postgres' && /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name.toLowerCase() : name;
  }

  /** Quotes a string literal. */
  literal(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
  }

  relation(name: RelationName): string {
    return [name.database, name.schema, name.identifier].filter((p): p is string => !!p).map((p) => this.quote(p)).join('.');
  }

  createSchema(schema: string, database?: string): string {
    return `create schema if not exists ${database ? `${this.quote(database)}.` : ''}${this.quote(schema)}`;
  }

  createTableAs(relation: RelationName, sql: string): string {
    return `create table ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
  }

  /**
   * Where a session-local table lives: PostgreSQL's `pg_temp` (no WAL, local buffers), DuckDB's
   * `temp` catalog (in memory, never written to the database file). Both vanish with a rollback.
   */
  tempRelation(identifier: string): RelationName {
    return this.name === 'postgres' ? { schema: 'pg_temp', identifier } : { database: 'temp', schema: 'main', identifier };
  }

  /** A session-local table (see tempRelation) holding the rows of `sql`. */
  createTempTableAs(relation: RelationName, sql: string): string {
    return `create temp table ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
  }

  /** A session-local view (see tempRelation) over `sql`: nothing is stored; it runs where read. */
  createTempViewAs(relation: RelationName, sql: string): string {
    return `create temp view ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
  }

  /**
   * Settings for the rest of a transaction that applies a small batch to a large table.
   * PostgreSQL compiles a plan with JIT once its estimated cost is high, and the estimate
   * follows the target's size: about 0.25 s of compiling for statements that run in less.
   */
  smallBatchSettings(): string[] {
    return this.name === 'postgres' ? ['set local jit = off'] : [];
  }

  /**
   * Whether an incremental step stages its batch in a temp table before its transaction rather
   * than inside it. DuckDB: a join prunes its probe side's scan by the build side's min/max key
   * only once the temp table is committed; staged inside, the delete of delete+insert read the
   * whole target's key column (bench P4, 100,000 rows into 10M: 5 to 8 ms, 1 ms staged before).
   * The temp table is session-local either way, so nothing outside this connection sees it.
   */
  stagesBeforeTransaction(): boolean {
    return this.name === 'duckdb';
  }

  /**
   * An expression that fails the statement with `message` where it is evaluated (DuckDB's
   * `error()`), or undefined where the dialect has none in plain SQL (PostgreSQL).
   */
  raise(message: string): string | undefined {
    return this.name === 'duckdb' ? `error(${this.literal(message)})` : undefined;
  }

  /** Whether MERGE can fail on a condition (DuckDB's `when ... then error 'message'`). */
  mergeCanRaise(): boolean {
    return this.name === 'duckdb';
  }

  /** An empty table with these columns (name and SQL type), in order. */
  createTable(relation: RelationName, columns: readonly { name: string; type: string }[]): string {
    return `create table ${this.relation(relation)} (\n${columns.map((c) => `  ${this.quote(c.name)} ${c.type}`).join(',\n')}\n)`;
  }

  createViewAs(relation: RelationName, sql: string): string {
    return `create view ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
  }

  /** Replaces a view in one atomic statement; views built on it stay (PostgreSQL: if its columns keep their names and types). */
  createOrReplaceViewAs(relation: RelationName, sql: string): string {
    return `create or replace view ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
  }

  drop(relation: RelationName, type: RelationType, options: { ifExists?: boolean; cascade?: boolean } = {}): string {
    return `drop ${type} ${options.ifExists ? 'if exists ' : ''}${this.relation(relation)}${options.cascade ? ' cascade' : ''}`;
  }

  rename(relation: RelationName, type: RelationType, newIdentifier: string): string {
    return `alter ${type} ${this.relation(relation)} rename to ${this.quote(newIdentifier)}`;
  }

  createIndex(relation: RelationName, name: string, columns: readonly string[], unique = false): string {
    return `create ${unique ? 'unique ' : ''}index ${this.quote(name)} on ${this.relation(relation)} (${columns.map((c) => this.quote(c)).join(', ')})`;
  }

  /** Wraps SQL so the database returns no rows but reports the columns (for previews and contracts). */
  limit(sql: string, rows: number): string {
    return `select * from (\n${stripTrailingSemicolon(sql)}\n) as smelt_preview limit ${Math.max(0, Math.floor(rows))}`;
  }
}

/** Models are often written with a trailing semicolon; inside a subquery it is a syntax error. */
export function stripTrailingSemicolon(sql: string): string {
  return sql.replace(/;\s*$/, '').trimEnd();
}
