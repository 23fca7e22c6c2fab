/**
 * The part of a SELECT that column lineage needs, in one shape for every dialect. Each parser's
 * syntax tree (DuckDB's json_serialize_sql, PostgreSQL's libpg-query) is turned into this, and
 * the resolver only ever reads this.
 */
export type QueryShape = SelectShape | SetOperationShape;

export interface SelectShape {
  kind: 'select';
  ctes: CteShape[];
  /** FROM items; a comma list gives several, a JOIN gives one join item. */
  from: FromShape[];
  targets: TargetShape[];
}

/** UNION / INTERSECT / EXCEPT: output columns by position, names from the left side. */
export interface SetOperationShape {
  kind: 'set';
  ctes: CteShape[];
  inputs: QueryShape[];
}

export interface CteShape {
  name: string;
  /** `with x(a, b) as (...)` renames the query's columns. */
  columns: string[];
  query: QueryShape;
  recursive?: boolean;
}

export type FromShape =
  | { kind: 'relation'; catalog?: string; schema?: string; name: string; alias?: string; columns: string[] }
  | { kind: 'subquery'; query: QueryShape; alias?: string; columns: string[] }
  | { kind: 'join'; left: FromShape; right: FromShape; using: string[] }
  /** Table functions and VALUES lists: columns come from nowhere upstream (or from `refs`). */
  | { kind: 'generated'; alias?: string; columns: string[]; expression: ExpressionShape };

export interface TargetShape {
  alias?: string;
  /** `*`, `t.*`, `* exclude (a)`: expanded from the FROM items when their columns are known. */
  star?: { qualifier?: string; exclude: string[] };
  expression: ExpressionShape;
}

export interface ExpressionShape {
  /** Column references as written: ['c'], ['t', 'c'], ['s', 't', 'c'] or a struct path. */
  refs: string[][];
  /** Subqueries inside the expression (scalar, IN, EXISTS): their columns feed this one. */
  subqueries: QueryShape[];
  /** Set when the expression is a bare column reference, or a cast of one. */
  column?: string[];
}

export function emptyExpression(): ExpressionShape {
  return { refs: [], subqueries: [] };
}
