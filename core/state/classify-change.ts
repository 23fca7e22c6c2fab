import type { SqlAst, SqlParser } from '../adapters/sql-parser.js';

export type ChangeKind = 'breaking' | 'non-breaking';

export interface ChangeClass {
  kind: ChangeKind;
  reason: string;
  /** Non-breaking: the columns added at the end (a model selecting * from it gains them). */
  addedColumns?: string[];
}

/**
 * SQLMesh's distinction, told from the two queries' syntax trees: the same query, or the same
 * query with columns added at the end of its select list, cannot change what downstream models
 * read (non-breaking), unless the added columns change its rows (grainChange); anything else
 * might (breaking). When either query does not parse, the change is assumed breaking.
 */
export async function classifyChange(parser: SqlParser, previousSql: string, currentSql: string): Promise<ChangeClass> {
  const [before, after] = await Promise.all([parser.parse(previousSql), parser.parse(currentSql)]);
  if (!before || !after) return { kind: 'breaking', reason: 'the query could not be parsed, so the change is assumed breaking' };
  const a = strip(before);
  const b = strip(after);
  if (JSON.stringify(a) === JSON.stringify(b)) return { kind: 'non-breaking', reason: 'the query is unchanged (config, comments or formatting only)' };
  const added = appendedColumns(a, b);
  if (added) {
    const names = added.map(columnName).join(', ');
    const grain = grainChange(b, added);
    if (grain) return { kind: 'breaking', reason: `column${added.length === 1 ? '' : 's'} added at the end (${names}), but ${grain}` };
    return { kind: 'non-breaking', reason: `column${added.length === 1 ? '' : 's'} added at the end: ${names}`, addedColumns: added.map(columnName) };
  }
  return { kind: 'breaking', reason: 'the query logic changed' };
}

/**
 * Why columns added to `select` change its rows, if they do: under DISTINCT each added column
 * splits rows, under GROUP BY ALL each non-aggregate one becomes a group key, and a
 * set-returning function (unnest, generate_series ...) multiplies them.
 */
function grainChange(select: SqlAst, added: unknown[]): string | undefined {
  const modifiers = (select.modifiers as { type?: string; distinct_on_targets?: unknown[] }[] | undefined) ?? [];
  if (modifiers.some((m) => m.type === 'DISTINCT_MODIFIER' && (m.distinct_on_targets ?? []).length === 0)) return 'the select is DISTINCT, so they change its rows';
  if (added.some((e) => functionsIn(e).some((name) => SET_RETURNING.has(name)))) return 'a set-returning function changes its rows';
  if (select.aggregate_handling === 'FORCE_AGGREGATES' && added.some((e) => !functionsIn(e).some((name) => AGGREGATES.has(name) || name.startsWith('quantile') || name.startsWith('approx_')))) {
    return 'under GROUP BY ALL a column that is not an aggregate becomes a group key';
  }
  return undefined;
}

/** The plain function calls in an expression (not window functions, not inside subqueries). */
function functionsIn(expression: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const node = value as { class?: string; function_name?: string };
    if (node.class === 'SUBQUERY' || node.class === 'WINDOW') return;
    if (node.class === 'FUNCTION' && typeof node.function_name === 'string') names.push(node.function_name.toLowerCase());
    Object.values(node).forEach(visit);
  };
  visit(expression);
  return names;
}

const SET_RETURNING = new Set([
  'unnest', 'generate_series', 'range', 'generate_subscripts', 'regexp_split_to_table', 'regexp_matches', 'string_to_table',
  'json_each', 'json_each_text', 'jsonb_each', 'jsonb_each_text', 'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements', 'jsonb_array_elements_text',
  'json_object_keys', 'jsonb_object_keys', 'jsonb_path_query',
]);

const AGGREGATES = new Set([
  'count', 'count_star', 'sum', 'avg', 'mean', 'min', 'max', 'any_value', 'first', 'last', 'arbitrary', 'string_agg', 'group_concat', 'listagg', 'list', 'array_agg',
  'median', 'mode', 'stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop', 'bool_and', 'bool_or', 'every', 'arg_min', 'arg_max', 'min_by', 'max_by',
  'product', 'corr', 'covar_pop', 'covar_samp', 'bit_and', 'bit_or', 'bit_xor', 'histogram', 'entropy', 'kurtosis', 'skewness', 'fsum', 'sumkahan', 'kahan_sum', 'favg',
  'count_if', 'countif', 'sum_no_overflow', 'bitstring_agg', 'json_group_array', 'json_group_object', 'jsonb_agg', 'json_agg', 'jsonb_object_agg', 'json_object_agg',
  'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy', 'reservoir_quantile', 'mad',
]);

/** The expressions `after` adds at the end of `before`'s top-level select list, if that is its only change. */
function appendedColumns(before: SqlAst, after: SqlAst): unknown[] | undefined {
  if (before.type !== 'SELECT_NODE' || after.type !== 'SELECT_NODE') return undefined;
  const beforeList = before.select_list as unknown[];
  const afterList = after.select_list as unknown[];
  if (!Array.isArray(beforeList) || !Array.isArray(afterList) || afterList.length <= beforeList.length) return undefined;
  const prefix = afterList.slice(0, beforeList.length);
  if (JSON.stringify(prefix) !== JSON.stringify(beforeList)) return undefined;
  if (JSON.stringify({ ...before, select_list: [] }) !== JSON.stringify({ ...after, select_list: [] })) return undefined;
  return afterList.slice(beforeList.length);
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
