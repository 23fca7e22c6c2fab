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

  /** An empty table with these columns (name and SQL type), in order. */
  createTable(relation: RelationName, columns: readonly { name: string; type: string }[]): string {
    return `create table ${this.relation(relation)} (\n${columns.map((c) => `  ${this.quote(c.name)} ${c.type}`).join(',\n')}\n)`;
  }

  createViewAs(relation: RelationName, sql: string): string {
    return `create view ${this.relation(relation)} as (\n${stripTrailingSemicolon(sql)}\n)`;
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
