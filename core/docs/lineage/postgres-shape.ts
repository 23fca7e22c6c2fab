import { emptyExpression, type CteShape, type ExpressionShape, type FromShape, type QueryShape, type TargetShape } from './query-shape.js';

/**
 * PostgreSQL's parse tree (libpg-query, the server's own grammar) -> QueryShape. Nodes are
 * `{ NodeType: { ...fields } }`; set operations nest their sides unwrapped in larg/rarg.
 */
type Json = Record<string, unknown>;

export function postgresQueryShape(tree: unknown): QueryShape | undefined {
  const stmts = (tree as Json | undefined)?.stmts as Json[] | undefined;
  const select = (stmts?.[0]?.stmt as Json | undefined)?.SelectStmt as Json | undefined;
  return select ? selectStmt(select) : undefined;
}

function selectStmt(stmt: Json): QueryShape {
  const withClause = stmt.withClause as Json | undefined;
  const ctes = ((withClause?.ctes as Json[] | undefined) ?? []).map((node) => cte(node.CommonTableExpr as Json, !!withClause?.recursive));
  if (stmt.op && stmt.op !== 'SETOP_NONE') {
    return { kind: 'set', ctes, inputs: [selectStmt(stmt.larg as Json), selectStmt(stmt.rarg as Json)] };
  }
  if (stmt.valuesLists) {
    // A bare VALUES statement: PostgreSQL names its columns column1, column2 ...
    const first = ((stmt.valuesLists as Json[])[0]?.List as Json | undefined)?.items as unknown[] | undefined;
    return {
      kind: 'select',
      ctes,
      from: [],
      targets: (first ?? []).map((_, i) => ({ alias: `column${i + 1}`, expression: expression(stmt.valuesLists) })),
    };
  }
  return {
    kind: 'select',
    ctes,
    from: ((stmt.fromClause as Json[] | undefined) ?? []).map(fromItem),
    targets: ((stmt.targetList as Json[] | undefined) ?? []).map((node) => target(node.ResTarget as Json)),
  };
}

function cte(node: Json, recursive: boolean): CteShape {
  const query = (node.ctequery as Json).SelectStmt as Json | undefined;
  return {
    name: String(node.ctename),
    columns: names(node.aliascolnames),
    query: query ? selectStmt(query) : { kind: 'select', ctes: [], from: [], targets: [] },
    ...(recursive ? { recursive } : {}),
  };
}

function fromItem(node: Json): FromShape {
  const [type, body] = Object.entries(node)[0] as [string, Json];
  const alias = body.alias as Json | undefined;
  const aliasName = alias?.aliasname as string | undefined;
  const columns = names(alias?.colnames);
  switch (type) {
    case 'RangeVar':
      return {
        kind: 'relation',
        ...(body.catalogname ? { catalog: String(body.catalogname) } : {}),
        ...(body.schemaname ? { schema: String(body.schemaname) } : {}),
        name: String(body.relname),
        ...(aliasName ? { alias: aliasName } : {}),
        columns,
      };
    case 'RangeSubselect': {
      const select = (body.subquery as Json).SelectStmt as Json;
      return { kind: 'subquery', query: selectStmt(select), ...(aliasName ? { alias: aliasName } : {}), columns };
    }
    case 'JoinExpr':
      return { kind: 'join', left: fromItem(body.larg as Json), right: fromItem(body.rarg as Json), using: names(body.usingClause) };
    default:
      // RangeFunction (generate_series ...), RangeTableFunc, RangeTableSample ...
      return { kind: 'generated', ...(aliasName ? { alias: aliasName } : {}), columns, expression: expression(body.functions ?? body) };
  }
}

function target(node: Json): TargetShape {
  const alias = node.name as string | undefined;
  const ref = (node.val as Json).ColumnRef as Json | undefined;
  const fields = (ref?.fields as Json[] | undefined) ?? [];
  if (ref && fields.length > 0 && 'A_Star' in fields[fields.length - 1]!) {
    const qualifier = names(fields.slice(0, -1));
    return { star: { ...(qualifier.length ? { qualifier: qualifier[qualifier.length - 1]! } : {}), exclude: [] }, expression: emptyExpression() };
  }
  return { ...(alias ? { alias } : {}), expression: expression(node.val) };
}

export function expression(node: unknown): ExpressionShape {
  const shape = emptyExpression();
  const bare = bareColumn(node as Json);
  if (bare) shape.column = bare;
  walk(node, shape);
  return shape;
}

function walk(value: unknown, shape: ExpressionShape): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, shape);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const node = value as Json;
  if (node.ColumnRef) {
    const fields = ((node.ColumnRef as Json).fields as Json[] | undefined) ?? [];
    if (!fields.some((f) => 'A_Star' in f)) shape.refs.push(names(fields));
    return;
  }
  if (node.SubLink) {
    const sublink = node.SubLink as Json;
    const select = (sublink.subselect as Json | undefined)?.SelectStmt as Json | undefined;
    if (select) shape.subqueries.push(selectStmt(select));
    walk(sublink.testexpr, shape);
    return;
  }
  if (node.A_Const || node.TypeName) return;
  for (const key in node) {
    const child = node[key];
    if (child !== null && typeof child === 'object') walk(child, shape);
  }
}

function bareColumn(node: Json | undefined): string[] | undefined {
  if (!node) return undefined;
  const ref = node.ColumnRef as Json | undefined;
  if (ref) {
    const fields = (ref.fields as Json[] | undefined) ?? [];
    return fields.some((f) => 'A_Star' in f) ? undefined : names(fields);
  }
  const cast = node.TypeCast as Json | undefined;
  return cast ? bareColumn(cast.arg as Json) : undefined;
}

/** [{String: {sval: 'a'}}, ...] -> ['a', ...] */
function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => ((item as Json).String as Json | undefined)?.sval).filter((s): s is string => typeof s === 'string');
}
