import type { SqlAst, SqlParser } from '../adapters/sql-parser.js';

export type ChangeKind = 'breaking' | 'non-breaking';

export interface ChangeClass {
  kind: ChangeKind;
  reason: string;
}

/**
 * SQLMesh's distinction, told from the two queries' syntax trees: the same query, or the same
 * query with columns added at the end of its select list, cannot change what downstream models
 * read (non-breaking); anything else might (breaking). When either query does not parse, the
 * change is assumed breaking.
 */
export async function classifyChange(parser: SqlParser, previousSql: string, currentSql: string): Promise<ChangeClass> {
  const [before, after] = await Promise.all([parser.parse(previousSql), parser.parse(currentSql)]);
  if (!before || !after) return { kind: 'breaking', reason: 'the query could not be parsed, so the change is assumed breaking' };
  const a = strip(before);
  const b = strip(after);
  if (JSON.stringify(a) === JSON.stringify(b)) return { kind: 'non-breaking', reason: 'the query is unchanged (config, comments or formatting only)' };
  const added = appendedColumns(a, b);
  if (added) return { kind: 'non-breaking', reason: `column${added.length === 1 ? '' : 's'} added at the end: ${added.join(', ')}` };
  return { kind: 'breaking', reason: 'the query logic changed' };
}

/** Names of the columns `after` adds at the end of `before`'s top-level select list, if that is its only change. */
function appendedColumns(before: SqlAst, after: SqlAst): string[] | undefined {
  if (before.type !== 'SELECT_NODE' || after.type !== 'SELECT_NODE') return undefined;
  const beforeList = before.select_list as unknown[];
  const afterList = after.select_list as unknown[];
  if (!Array.isArray(beforeList) || !Array.isArray(afterList) || afterList.length <= beforeList.length) return undefined;
  const prefix = afterList.slice(0, beforeList.length);
  if (JSON.stringify(prefix) !== JSON.stringify(beforeList)) return undefined;
  if (JSON.stringify({ ...before, select_list: [] }) !== JSON.stringify({ ...after, select_list: [] })) return undefined;
  return afterList.slice(beforeList.length).map(columnName);
}

function columnName(expression: unknown): string {
  const e = expression as { alias?: string; column_names?: string[] };
  if (e.alias) return e.alias;
  if (Array.isArray(e.column_names) && e.column_names.length > 0) return e.column_names[e.column_names.length - 1]!;
  return '(expression)';
}

/** Drops source positions, which change whenever anything before them moves. */
function strip(value: unknown): SqlAst {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'query_location' ? undefined : v))) as SqlAst;
}
