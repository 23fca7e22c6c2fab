import type { CteShape, ExpressionShape, FromShape, QueryShape, SelectShape } from './query-shape.js';

/** One upstream column: a column of another node (model, seed, source, snapshot). */
export interface ColumnSource {
  node: string;
  column: string;
}

/**
 * How an output column relates to its sources: `direct` is a column passed through (renamed or
 * cast), `derived` an expression over columns, `constant` reads no column at all.
 */
export type ColumnTransform = 'direct' | 'derived' | 'constant';

export interface LineageColumn {
  /** `*` stands for "every column of the sources", when their columns are not known. */
  name: string;
  sources: ColumnSource[];
  transform: ColumnTransform;
}

export interface NodeLineage {
  columns: LineageColumn[];
  /** What could not be resolved, in words (shown on the node's page). */
  unresolved: string[];
  /** The parser's message when the SQL did not parse. */
  error?: string;
}

/** Columns of an upstream node as far as they are known. `open`: there may be more. */
export interface KnownColumns {
  names: string[];
  open: boolean;
}

export interface ResolveContext {
  /** The node a FROM relation names, if it is part of the project. */
  lookupRelation(relation: { catalog?: string; schema?: string; name: string }): string | undefined;
  /** The ephemeral model a CTE name stands for (smelt inlines them as `__smelt_cte__<name>`). */
  inlinedNode?(cteName: string): string | undefined;
  /** Columns of an upstream node, or undefined when nothing is known about them. */
  columnsOf(node: string): KnownColumns | undefined;
  /** Names of the node's own columns in the warehouse, in order, when it has been built. */
  outputColumns?: string[];
}

interface Column {
  /** Undefined for an expression without an alias (named later from the warehouse, if built). */
  name?: string;
  /** Lowercased name, for matching. */
  key?: string;
  star?: boolean;
  sources: ColumnSource[];
  transform: ColumnTransform;
}

interface ScopeItem {
  /** Lowercased alias or relation name; undefined for an unaliased subquery. */
  alias?: string;
  columns: Column[];
  /** Columns beyond those listed may exist (unknown relation, `*` over an unknown one). */
  open: boolean;
  label: string;
}

interface Scope {
  items: ScopeItem[];
  using: Set<string>;
  outer?: Scope;
  /** Output columns of the select so far (DuckDB lets later items use earlier aliases). */
  lateral?: Column[];
}

interface CteEnv {
  ctes: Map<string, { shape: CteShape; resolved?: Column[]; resolving?: boolean; env: CteEnv }>;
  parent?: CteEnv;
}

/**
 * Resolves every output column of a query to the upstream node columns it is computed from,
 * through CTEs, subqueries, joins and set operations. Ambiguous or unknown references are
 * reported in `unresolved` instead of guessed.
 */
export function resolveColumns(query: QueryShape, context: ResolveContext): NodeLineage {
  const notes = new Set<string>();
  const resolver = new Resolver(context, notes);
  const columns = resolver.query(query, { ctes: new Map() }, undefined);
  return { columns: nameColumns(columns, context.outputColumns, notes), unresolved: [...notes] };
}

class Resolver {
  constructor(private readonly context: ResolveContext, private readonly notes: Set<string>) {}

  query(query: QueryShape, parentEnv: CteEnv, outer: Scope | undefined): Column[] {
    const env = this.withCtes(query.ctes, parentEnv);
    if (query.kind === 'set') return this.setOperation(query.inputs.map((input) => this.query(input, env, outer)));
    return this.select(query, env, outer);
  }

  private withCtes(ctes: CteShape[], parent: CteEnv): CteEnv {
    if (ctes.length === 0) return parent;
    const env: CteEnv = { ctes: new Map(), parent };
    for (const shape of ctes) env.ctes.set(shape.name.toLowerCase(), { shape, env });
    return env;
  }

  private setOperation(inputs: Column[][]): Column[] {
    const [first, ...rest] = inputs;
    if (!first) return [];
    return first.map((column, i) => {
      const others = rest.map((input) => input[i]).filter((c): c is Column => c !== undefined);
      const all = [column, ...others];
      return {
        ...column,
        sources: dedupe(all.flatMap((c) => c.sources)),
        transform: all.every((c) => c.transform === 'direct') ? 'direct' : all.every((c) => c.transform === 'constant') ? 'constant' : 'derived',
      };
    });
  }

  private select(select: SelectShape, env: CteEnv, outer: Scope | undefined): Column[] {
    const scope: Scope = { items: [], using: new Set(), outer, lateral: [] };
    for (const item of select.from) this.addFromItem(item, env, scope);
    const output: Column[] = [];
    for (const target of select.targets) {
      if (target.star) {
        output.push(...this.expandStar(target.star.qualifier, target.star.exclude, scope));
        continue;
      }
      const column = this.expression(target.expression, scope, env);
      const name = target.alias ?? target.expression.column?.[target.expression.column.length - 1];
      if (name !== undefined) {
        column.name = name;
        column.key = name.toLowerCase();
      }
      output.push(column);
      scope.lateral!.push(column);
    }
    return output;
  }

  private addFromItem(item: FromShape, env: CteEnv, scope: Scope): void {
    switch (item.kind) {
      case 'join':
        this.addFromItem(item.left, env, scope);
        this.addFromItem(item.right, env, scope);
        item.using.forEach((name) => scope.using.add(name.toLowerCase()));
        return;
      case 'subquery': {
        const columns = rename(this.query(item.query, env, scope.outer), item.columns);
        scope.items.push({ alias: item.alias?.toLowerCase(), columns, open: columns.some((c) => c.star), label: item.alias ?? 'subquery' });
        return;
      }
      case 'generated': {
        // Table functions and VALUES may read columns of the items before them (lateral).
        const feed = this.expression(item.expression, scope, env);
        const columns = item.columns.map((name) => ({ name, key: name.toLowerCase(), sources: feed.sources, transform: feed.sources.length ? 'derived' : 'constant' } satisfies Column));
        scope.items.push({ alias: item.alias?.toLowerCase(), columns, open: columns.length === 0, label: item.alias ?? 'function' });
        return;
      }
      case 'relation':
        scope.items.push(this.relationItem(item, env));
        return;
    }
  }

  private relationItem(item: Extract<FromShape, { kind: 'relation' }>, env: CteEnv): ScopeItem {
    const alias = (item.alias ?? item.name).toLowerCase();
    const label = [item.schema, item.name].filter(Boolean).join('.');
    let node: string | undefined;
    if (!item.schema) {
      // Ephemeral models are inlined as CTEs: they are nodes with lineage of their own. Any
      // other CTE shadows a relation of the same name.
      node = this.context.inlinedNode?.(item.name);
      const cte = node ? undefined : findCte(env, item.name.toLowerCase());
      if (cte) return { alias, columns: rename(this.cte(cte), item.columns), open: false, label };
    }
    node ??= this.context.lookupRelation(item);
    if (!node) {
      this.notes.add(`reads ${label}, which is not a node of this project`);
      return { alias, columns: rename([], item.columns), open: true, label };
    }
    const known = this.context.columnsOf(node);
    const columns: Column[] = (known?.names ?? []).map((name) => ({ name, key: name.toLowerCase(), sources: [{ node, column: name }], transform: 'direct' }));
    const open = !known || known.open;
    if (open) columns.push({ name: '*', star: true, sources: [{ node, column: '*' }], transform: 'direct' });
    return { alias, columns: rename(columns, item.columns), open, label };
  }

  private cte(entry: { shape: CteShape; resolved?: Column[]; resolving?: boolean; env: CteEnv }): Column[] {
    if (entry.resolved) return entry.resolved;
    if (entry.resolving) {
      // A recursive CTE reading itself: its columns are those of the anchor, resolved below.
      return [];
    }
    entry.resolving = true;
    entry.resolved = rename(this.query(entry.shape.query, entry.env, undefined), entry.shape.columns);
    entry.resolving = false;
    return entry.resolved;
  }

  private expandStar(qualifier: string | undefined, exclude: string[], scope: Scope): Column[] {
    const excluded = new Set(exclude.map((e) => e.toLowerCase()));
    const items = qualifier ? scope.items.filter((item) => item.alias === qualifier.toLowerCase()) : scope.items;
    if (qualifier && items.length === 0) this.notes.add(`${qualifier}.*: no table ${qualifier} in FROM`);
    const seen = new Set<string>();
    const result: Column[] = [];
    for (const item of items) {
      for (const column of item.columns) {
        if (column.key && (excluded.has(column.key) || (!qualifier && scope.using.has(column.key) && seen.has(column.key)))) continue;
        if (column.key) seen.add(column.key);
        if (column.star) this.notes.add(`${qualifier ?? ''}${qualifier ? '.' : ''}* over ${item.label}: its columns are not known (build it, or list them in YAML)`);
        result.push({ ...column, sources: [...column.sources] });
      }
      if (item.open && !item.columns.some((c) => c.star)) this.notes.add(`* over ${item.label}: its columns are not known`);
    }
    return result;
  }

  private expression(expression: ExpressionShape, scope: Scope, env: CteEnv): Column {
    const sources: ColumnSource[] = [];
    let passedThrough: ColumnTransform | undefined;
    for (const ref of expression.refs) {
      const found = this.reference(ref, scope);
      if (!found) continue;
      sources.push(...found.sources);
      if (expression.column && expression.refs.length === 1) passedThrough = found.transform;
    }
    for (const subquery of expression.subqueries) {
      for (const column of this.query(subquery, env, scope)) sources.push(...column.sources);
    }
    // A bare column (or a cast of one) keeps the kind of the column it names.
    const transform: ColumnTransform = expression.subqueries.length === 0 && passedThrough
      ? passedThrough
      : expression.refs.length === 0 && expression.subqueries.length === 0 ? 'constant' : 'derived';
    return { sources: dedupe(sources), transform };
  }

  /** A column reference as written (`c`, `t.c`, `s.t.c`, `t.c.field`) -> the column it names. */
  private reference(ref: string[], scope: Scope): { sources: ColumnSource[]; transform: ColumnTransform } | undefined {
    const keys = ref.map((r) => r.toLowerCase());
    if (keys.length >= 2) {
      // Qualified by a table alias (t.c), or by schema and table (s.t.c, db.s.t.c), innermost scope first.
      for (let level: Scope | undefined = scope; level; level = level.outer) {
        for (let at = 0; at < keys.length - 1 && at < 3; at++) {
          const item = level.items.find((i) => i.alias === keys[at]);
          if (item) return this.columnOf(item, keys[at + 1]!, ref[at + 1]!);
        }
      }
    }
    // Unqualified, or a struct field of an unqualified column (c.field).
    for (let level: Scope | undefined = scope; level; level = level.outer) {
      const found = this.unqualified(keys[0]!, ref[0]!, level);
      if (found) return found;
    }
    this.notes.add(`column ${ref.join('.')}: no table in FROM has it`);
    return undefined;
  }

  private unqualified(key: string, name: string, scope: Scope): { sources: ColumnSource[]; transform: ColumnTransform } | undefined {
    const named = scope.items.filter((item) => item.columns.some((c) => c.key === key));
    if (named.length === 1 || (named.length > 1 && scope.using.has(key))) {
      const columns = named.flatMap((item) => item.columns.filter((c) => c.key === key));
      const kinds = new Set(columns.map((c) => c.transform));
      return { sources: dedupe(columns.flatMap((c) => c.sources)), transform: kinds.size === 1 ? columns[0]!.transform : 'derived' };
    }
    if (named.length > 1) {
      this.notes.add(`column ${name} is ambiguous between ${named.map((i) => i.label).join(', ')}`);
      return undefined;
    }
    const open = scope.items.filter((item) => item.open);
    if (open.length === 1) return this.columnOf(open[0]!, key, name);
    const lateral = scope.lateral?.find((c) => c.key === key);
    if (lateral) return { sources: lateral.sources, transform: lateral.transform };
    if (open.length > 1) {
      this.notes.add(`column ${name}: could come from ${open.map((i) => i.label).join(' or ')} (their columns are not known)`);
      return { sources: [], transform: 'direct' };
    }
    return undefined;
  }

  private columnOf(item: ScopeItem, key: string, name: string): { sources: ColumnSource[]; transform: ColumnTransform } {
    const column = item.columns.find((c) => c.key === key);
    if (column) return { sources: column.sources, transform: column.transform };
    // Not listed, but the item may have more columns: `select *` over a relation whose columns
    // are unknown passes any column through.
    const stars = item.columns.filter((c) => c.star);
    if (stars.length > 0) return { sources: dedupe(stars.flatMap((s) => s.sources.map((src) => ({ node: src.node, column: src.column === '*' ? name : src.column })))), transform: 'direct' };
    if (!item.open) this.notes.add(`column ${name}: ${item.label} has no such column`);
    return { sources: [], transform: 'direct' };
  }
}

/** Names unnamed expressions and `*` entries after the warehouse's own column list, when known. */
function nameColumns(columns: Column[], actual: string[] | undefined, notes: Set<string>): LineageColumn[] {
  let named = columns;
  if (actual && actual.length > 0) {
    const stars = columns.filter((c) => c.star);
    if (stars.length === 0 && columns.length === actual.length) {
      named = columns.map((c, i) => ({ ...c, name: actual[i]! }));
    } else if (stars.length > 0) {
      // Columns the SQL names explicitly keep their lineage; the rest come through the stars.
      const explicit = new Set(columns.filter((c) => !c.star && c.key).map((c) => c.key!));
      const rest = actual.filter((name) => !explicit.has(name.toLowerCase()));
      const starSources = dedupe(stars.flatMap((s) => s.sources));
      const fromStars = rest.map((name) => ({ name, sources: starSources.map((s) => ({ node: s.node, column: s.column === '*' ? name : s.column })), transform: 'direct' as const }));
      const at = columns.findIndex((c) => c.star);
      const before = columns.slice(0, at).filter((c) => !c.star);
      const after = columns.slice(at).filter((c) => !c.star);
      named = [...before, ...fromStars, ...after];
      notes.forEach((note) => {
        if (note.includes(': its columns are not known')) notes.delete(note);
      });
    }
  }
  return named.map((c, i) => ({
    name: c.name ?? `column ${i + 1}`,
    sources: c.sources,
    transform: c.transform,
  }));
}

function rename(columns: Column[], names: string[]): Column[] {
  if (names.length === 0) return columns;
  return columns.map((column, i) => (i < names.length && !column.star ? { ...column, name: names[i]!, key: names[i]!.toLowerCase() } : column));
}

function findCte(env: CteEnv | undefined, key: string): ({ shape: CteShape; resolved?: Column[]; resolving?: boolean; env: CteEnv }) | undefined {
  for (let level = env; level; level = level.parent) {
    const entry = level.ctes.get(key);
    if (entry) return entry;
  }
  return undefined;
}

function dedupe(sources: ColumnSource[]): ColumnSource[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    const key = `${s.node}\u0000${s.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
