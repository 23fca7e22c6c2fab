import { emptyExpression, type CteShape, type ExpressionShape, type FromShape, type QueryShape, type TargetShape } from './query-shape.js';

/**
 * DuckDB's `json_serialize_sql()` tree -> QueryShape. Only the keys lineage needs are read; an
 * unknown node kind becomes an empty query rather than an error, so new DuckDB syntax degrades
 * to "not resolved" instead of breaking the docs.
 */
type Json = Record<string, unknown>;

export function duckdbQueryShape(tree: unknown): QueryShape | undefined {
  const statements = (tree as Json | undefined)?.statements as Json[] | undefined;
  const node = statements?.[0]?.node;
  return node ? queryNode(node as Json) : undefined;
}

function queryNode(node: Json): QueryShape {
  const ctes = cteMap(node.cte_map as Json | undefined);
  switch (node.type) {
    case 'SELECT_NODE':
      return {
        kind: 'select',
        ctes,
        from: node.from_table ? fromItems(node.from_table as Json) : [],
        targets: ((node.select_list as Json[] | undefined) ?? []).map(target),
      };
    case 'SET_OPERATION_NODE':
    case 'RECURSIVE_CTE_NODE': {
      const children = (node.children as Json[] | undefined) ?? [node.left as Json, node.right as Json].filter(Boolean);
      return { kind: 'set', ctes, inputs: children.map(queryNode) };
    }
    case 'CTE_NODE': {
      // Older DuckDB: a CTE wrapping the query that uses it.
      const child = queryNode(node.child as Json);
      const cte: CteShape = { name: String(node.ctename), columns: strings(node.aliases), query: queryNode(node.query as Json) };
      return { ...child, ctes: [cte, ...child.ctes] };
    }
    default:
      return { kind: 'select', ctes, from: [], targets: [] };
  }
}

function cteMap(map: Json | undefined): CteShape[] {
  const entries = (map?.map as Json[] | undefined) ?? [];
  return entries.map((entry) => {
    const value = entry.value as Json;
    const query = ((value.query as Json).node ?? value.query) as Json;
    return { name: String(entry.key), columns: strings(value.aliases), query: queryNode(query), recursive: query.type === 'RECURSIVE_CTE_NODE' };
  });
}

function fromItems(ref: Json): FromShape[] {
  if (ref.type === 'EMPTY' || ref.type === 'EMPTY_FROM') return [];
  return [fromItem(ref)];
}

function fromItem(ref: Json): FromShape {
  const alias = nonEmpty(ref.alias);
  const columns = strings(ref.column_name_alias);
  switch (ref.type) {
    case 'BASE_TABLE':
      return {
        kind: 'relation',
        ...(nonEmpty(ref.catalog_name) ? { catalog: String(ref.catalog_name) } : {}),
        ...(nonEmpty(ref.schema_name) ? { schema: String(ref.schema_name) } : {}),
        name: String(ref.table_name),
        ...(alias ? { alias } : {}),
        columns,
      };
    case 'SUBQUERY': {
      const subquery = ref.subquery as Json;
      return { kind: 'subquery', query: queryNode((subquery.node ?? subquery) as Json), ...(alias ? { alias } : {}), columns };
    }
    case 'JOIN':
      return { kind: 'join', left: fromItem(ref.left as Json), right: fromItem(ref.right as Json), using: strings(ref.using_columns) };
    case 'EXPRESSION_LIST':
      // VALUES: DuckDB names its columns col0, col1 ... unless aliased.
      return { kind: 'generated', alias: alias === 'valueslist' ? undefined : alias, columns: columns.length ? columns : strings(ref.expected_names), expression: expression(ref.values) };
    default:
      // Table functions (generate_series, read_csv ...), PIVOT and friends.
      return { kind: 'generated', ...(alias ? { alias } : {}), columns, expression: expression(ref.function ?? ref) };
  }
}

function target(node: Json): TargetShape {
  const alias = nonEmpty(node.alias);
  if (node.class === 'STAR' && !node.columns && !node.expr) {
    const qualifier = nonEmpty(node.relation_name);
    return {
      ...(alias ? { alias } : {}),
      star: { ...(qualifier ? { qualifier } : {}), exclude: excludeNames(node.exclude_list).concat(excludeNames(node.qualified_exclude_list)) },
      expression: emptyExpression(),
    };
  }
  return { ...(alias ? { alias } : {}), expression: expression(node) };
}

/** Collects the column references and subqueries anywhere below an expression node. */
export function expression(node: unknown): ExpressionShape {
  const shape = emptyExpression();
  const bare = bareColumn(node as Json);
  if (bare) shape.column = bare;
  walk(node, shape, new Set());
  return shape;
}

function walk(value: unknown, shape: ExpressionShape, lambdaParams: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, shape, lambdaParams);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const node = value as Json;
  switch (node.class) {
    case 'CONSTANT':
      return;
    case 'COLUMN_REF': {
      const names = strings(node.column_names);
      if (!(names.length === 1 && lambdaParams.has(names[0]!.toLowerCase()))) shape.refs.push(names);
      return;
    }
    case 'SUBQUERY': {
      const subquery = node.subquery as Json;
      shape.subqueries.push(queryNode((subquery.node ?? subquery) as Json));
      walk(node.child, shape, lambdaParams);
      return;
    }
    case 'LAMBDA': {
      // `x -> x + 1`: x is a parameter, not a column.
      const params = new Set(lambdaParams);
      const lhs = node.lhs as Json | undefined;
      for (const name of lhs ? collectNames(lhs) : []) params.add(name.toLowerCase());
      walk(node.expr, shape, params);
      return;
    }
  }
  // for-in, not Object.entries: this runs on every node of 10,000 trees.
  for (const key in node) {
    const child = node[key];
    if (child !== null && typeof child === 'object' && key !== 'cast_type') walk(child, shape, lambdaParams);
  }
}

function collectNames(node: Json): string[] {
  if (node.class === 'COLUMN_REF') return strings(node.column_names);
  return ((node.children as Json[] | undefined) ?? []).flatMap(collectNames);
}

function bareColumn(node: Json | undefined): string[] | undefined {
  if (!node) return undefined;
  if (node.class === 'COLUMN_REF') return strings(node.column_names);
  if (node.class === 'CAST') return bareColumn(node.child as Json);
  return undefined;
}

function excludeNames(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    const names = strings((item as Json).column_names ?? (item as Json).column_name);
    return names[names.length - 1] ?? '';
  }).filter(Boolean);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
