import type { ParsedStatement } from '../../adapters/adapter.js';
import type { CompiledNode, Manifest } from '../../manifest/types.js';
import { cteName } from '../../template/inline-ctes.js';
import { topologicalOrderOf } from '../../graph/topological-order.js';
import { duckdbQueryShape } from './duckdb-shape.js';
import { postgresQueryShape } from './postgres-shape.js';
import type { QueryShape } from './query-shape.js';
import { sqlHash, type LineageCache, type LineageDep, type LineageEntry } from './lineage-cache.js';
import { resolveColumns, type KnownColumns, type NodeLineage, type ResolveContext } from './resolve-columns.js';

/** Reads one dialect's syntax tree. Keyed by adapter type, as create-adapter.ts maps targets. */
const SHAPE_READERS: Record<string, (ast: unknown) => QueryShape | undefined> = {
  duckdb: duckdbQueryShape,
  postgres: postgresQueryShape,
};

export interface ColumnLineageInput {
  manifest: Manifest;
  /** The adapter type whose parser produced the trees (`duckdb`, `postgres`). */
  dialect: string;
  parse: (statements: readonly string[]) => Promise<ParsedStatement[]>;
  /** Column names per node as the warehouse has them (empty when it was not reachable). */
  warehouseColumns: Record<string, string[]>;
  /** Column names known without a warehouse (seed CSV headers). */
  fileColumns?: Record<string, string[]>;
  /** The lineage of the last run (lineage-cache.ts): unchanged nodes are not parsed again. */
  cache?: LineageCache;
  /** Told how many statements were parsed and how many nodes came from the cache. */
  stats?: (stats: LineageStats) => void;
}

export interface LineageStats {
  parsed: number;
  reused: number;
  /** Passes over the nodes left waiting for a parse (1 when nothing had to wait). */
  waves: number;
}

/** A node's parsed SQL, ready to resolve. */
type Parsed = { shape: QueryShape } | { lineage: NodeLineage };

/**
 * Column-level lineage of every node with SQL: parses the compiled SQL with the dialect's own
 * parser and resolves each output column to the columns of the nodes it reads. Nodes are
 * resolved in dependency order, so `select *` over a model expands to that model's columns
 * even before it is built.
 *
 * With a cache, a node whose SQL and whose answers (see lineage-cache.ts) are unchanged keeps
 * its lineage unparsed. A node whose SQL is unchanged but whose upstream columns changed needs
 * its SQL parsed after all: such nodes, and those that read them, wait for the next pass, which
 * parses them together. Nodes see an upstream node's resolved columns only when it comes
 * before them in dependency order, as in a single pass, so every pass gives what one would.
 */
export async function columnLineage(input: ColumnLineageInput): Promise<Record<string, NodeLineage>> {
  const { manifest, cache } = input;
  const read = SHAPE_READERS[input.dialect];
  if (!read) return {};
  // Dependency order, so each node's upstream columns are resolved before it is.
  const order = topologicalOrderOf(manifest.parentMap);
  const withSql = order
    .map((id) => manifest.nodes[id])
    .filter((n): n is CompiledNode => !!n && n.compiledSql.trim() !== '' && n.resourceType !== 'test' && n.resourceType !== 'seed');
  const position = new Map(withSql.map((node, i) => [node.uniqueId, i]));

  const { lookup, inlinedNode } = relationLookup(manifest);
  const result: Record<string, NodeLineage> = {};
  /** Nodes not resolved yet: their columns are unknown to the nodes after them. */
  const waiting = new Set(withSql.map((n) => n.uniqueId));
  let asking = 0;
  /** Columns of resolved nodes (null: their SQL did not parse), computed once: asked often. */
  const resolvedColumns = new Map<string, KnownColumns | null>();
  const columnsOf = (id: string): KnownColumns | undefined => {
    const warehouse = input.warehouseColumns[id];
    if (warehouse && warehouse.length > 0) return { names: warehouse, open: false };
    const file = input.fileColumns?.[id];
    if (file && file.length > 0) return { names: file, open: false };
    const at = position.get(id);
    if (at !== undefined && at < asking) {
      if (waiting.has(id)) throw WAIT;
      let known = resolvedColumns.get(id);
      if (known === undefined) {
        const lineage = result[id]!;
        known = lineage.error ? null : { names: lineage.columns.filter((c) => c.name !== '*').map((c) => c.name), open: lineage.columns.some((c) => c.name === '*') };
        resolvedColumns.set(id, known);
      }
      if (known) return known;
    }
    const node = manifest.nodes[id] ?? manifest.sources[id];
    const documented = node ? Object.values(node.columns).map((c) => c.name) : [];
    return documented.length > 0 ? { names: documented, open: true } : undefined;
  };
  const self = (node: CompiledNode, found: string | undefined): string | undefined => (found === node.uniqueId ? undefined : found);
  const answer = (node: CompiledNode, dep: LineageDep): LineageDep => {
    switch (dep.kind) {
      case 'relation': {
        const [catalog, schema, name] = dep.relation;
        return { ...dep, node: self(node, lookup({ ...(catalog ? { catalog } : {}), ...(schema ? { schema } : {}), name })) };
      }
      case 'inlined': return { ...dep, node: self(node, inlinedNode(dep.name)) };
      case 'columns': return { ...dep, columns: columnsOf(dep.node) };
      case 'output': return { ...dep, columns: input.warehouseColumns[node.uniqueId] };
    }
  };
  const toParsed = (parsed: ParsedStatement): Parsed => {
    if (parsed.error !== undefined) return { lineage: { columns: [], unresolved: [], error: parsed.error } };
    try {
      const shape = read(parsed.ast);
      return shape ? { shape } : { lineage: { columns: [], unresolved: ['the SQL is not a SELECT'] } };
    } catch (error) {
      return { lineage: { columns: [], unresolved: [], error: `could not read the syntax tree: ${(error as Error).message}` } };
    }
  };
  /** Resolves a node, noting every question asked; throws WAIT when an answer is not known yet. */
  const resolveNode = (node: CompiledNode, parsed: Parsed): { lineage: NodeLineage; deps: LineageDep[] } => {
    if ('lineage' in parsed) return { lineage: parsed.lineage, deps: [] };
    const deps = new Map<string, LineageDep>();
    const note = (key: string, dep: LineageDep): void => {
      if (!deps.has(key)) deps.set(key, dep);
    };
    const outputColumns = input.warehouseColumns[node.uniqueId];
    note('o', { kind: 'output', columns: outputColumns });
    const lineage = resolveColumns(parsed.shape, {
      lookupRelation: (relation) => {
        const found = self(node, lookup(relation));
        note(`r\u0000${relation.catalog ?? ''}\u0000${relation.schema ?? ''}\u0000${relation.name}`, { kind: 'relation', relation: [relation.catalog ?? '', relation.schema ?? '', relation.name], node: found });
        return found;
      },
      inlinedNode: (name) => {
        const found = self(node, inlinedNode(name));
        note(`i\u0000${name}`, { kind: 'inlined', name, node: found });
        return found;
      },
      columnsOf: (id) => {
        const columns = columnsOf(id);
        note(`c\u0000${id}`, { kind: 'columns', node: id, columns });
        return columns;
      },
      outputColumns,
    });
    return { lineage, deps: [...deps.values()] };
  };
  /** The cached lineage if every recorded answer is still the same; throws WAIT. */
  const reuse = (node: CompiledNode, entry: LineageEntry): boolean => entry.deps.every((dep) => sameDep(dep, answer(node, dep)));

  // What must be parsed whatever happens: nodes without a cached entry for their current SQL.
  const hashes = new Map<string, string>();
  const entries = new Map<string, LineageEntry>();
  const unparsed: CompiledNode[] = [];
  for (const node of withSql) {
    if (cache) {
      const hash = sqlHash(node.compiledSql);
      hashes.set(node.uniqueId, hash);
      const entry = cache.lookup(node.uniqueId, hash);
      if (entry) {
        entries.set(node.uniqueId, entry);
        continue;
      }
    }
    unparsed.push(node);
  }
  // Parse in batches, a few ahead: the parser (DuckDB's own threads) works on the next batches
  // while this thread resolves the current one. A batch's trees are read into shapes as soon as
  // it arrives, so only the (much smaller) shapes stay in memory.
  const stats: LineageStats = { parsed: 0, reused: 0, waves: 0 };
  const parsedOf = new Map<string, Parsed | (() => Promise<Parsed>)>();
  const schedule = (nodes: CompiledNode[]): void => {
    const batches: CompiledNode[][] = [];
    for (let start = 0; start < nodes.length; start += PARSE_BATCH) batches.push(nodes.slice(start, start + PARSE_BATCH));
    const running: Promise<void>[] = [];
    const start = (b: number): Promise<void> =>
      (running[b] ??= input.parse(batches[b]!.map((n) => n.compiledSql)).then((parsed) => {
        batches[b]!.forEach((node, i) => parsedOf.set(node.uniqueId, toParsed(parsed[i]!)));
      }));
    batches.forEach((batch, b) => {
      const load = async (): Promise<void> => {
        for (let ahead = b + 1; ahead < Math.min(batches.length, b + PARSE_AHEAD); ahead++) void start(ahead).catch(() => undefined);
        await start(b);
      };
      for (const node of batch) parsedOf.set(node.uniqueId, async () => {
        await load();
        return parsedOf.get(node.uniqueId) as Parsed;
      });
    });
    stats.parsed += nodes.length;
  };
  schedule(unparsed);

  let pending = withSql;
  while (pending.length > 0) {
    stats.waves++;
    const later: CompiledNode[] = [];
    const toParse: CompiledNode[] = [];
    for (const node of pending) {
      asking = position.get(node.uniqueId)!;
      try {
        const entry = entries.get(node.uniqueId);
        if (entry && reuse(node, entry)) {
          result[node.uniqueId] = entry.lineage;
          cache?.keep(node.uniqueId, entry);
          stats.reused++;
          waiting.delete(node.uniqueId);
          continue;
        }
        let parsed = parsedOf.get(node.uniqueId);
        if (parsed === undefined) {
          toParse.push(node);
          later.push(node);
          continue;
        }
        if (typeof parsed === 'function') parsed = await parsed();
        const resolved = resolveNode(node, parsed);
        result[node.uniqueId] = resolved.lineage;
        if (cache) cache.keep(node.uniqueId, { sqlHash: hashes.get(node.uniqueId)!, deps: resolved.deps, lineage: resolved.lineage });
        waiting.delete(node.uniqueId);
      } catch (error) {
        if (error !== WAIT) throw error;
        later.push(node);
      }
    }
    // Nodes whose cached lineage no longer holds: parsed together, then another pass.
    schedule(toParse);
    pending = later;
  }
  input.stats?.(stats);
  // In dependency order, as one pass gives it, whichever pass resolved each node.
  const ordered: Record<string, NodeLineage> = {};
  for (const node of withSql) ordered[node.uniqueId] = result[node.uniqueId]!;
  return ordered;
}

/** Thrown when a node asks for the columns of an earlier node that is still waiting. */
const WAIT = Symbol('wait');

function sameDep(recorded: LineageDep, now: LineageDep): boolean {
  switch (recorded.kind) {
    case 'relation':
    case 'inlined':
      return recorded.node === (now as typeof recorded).node;
    case 'columns': {
      const a = recorded.columns;
      const b = (now as typeof recorded).columns;
      return a === b || (!!a && !!b && a.open === b.open && sameNames(a.names, b.names));
    }
    case 'output': {
      const a = recorded.columns;
      const b = (now as typeof recorded).columns;
      return a === b || (!!a && !!b && sameNames(a, b));
    }
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

const PARSE_BATCH = 500;
const PARSE_AHEAD = 3;

/** Maps `[catalog.][schema.]name` as written in compiled SQL to the node it names. */
function relationLookup(manifest: Manifest): { lookup: ResolveContext['lookupRelation']; inlinedNode: (name: string) => string | undefined } {
  const qualified = new Map<string, string>();
  const byName = new Map<string, string[]>();
  const ephemeral = new Map<string, string>();
  const add = (id: string, relation: { database?: string; schema: string; identifier: string }): void => {
    const key = `${relation.schema}.${relation.identifier}`.toLowerCase();
    qualified.set(key, id);
    if (relation.database) qualified.set(`${relation.database}.${key}`.toLowerCase(), id);
    const name = relation.identifier.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), id]);
  };
  for (const node of Object.values(manifest.nodes)) {
    if (node.resourceType === 'test') continue;
    if (node.config.materialized === 'ephemeral') ephemeral.set(cteName(node.name).toLowerCase(), node.uniqueId);
    else add(node.uniqueId, node.relation);
  }
  for (const source of Object.values(manifest.sources)) add(source.uniqueId, source.relation);
  const lookup = ({ catalog, schema, name }: { catalog?: string; schema?: string; name: string }): string | undefined => {
    const key = name.toLowerCase();
    if (!schema) {
      const candidates = byName.get(key);
      return candidates?.length === 1 ? candidates[0] : undefined;
    }
    return qualified.get(`${catalog ? `${catalog}.` : ''}${schema}.${key}`.toLowerCase()) ?? qualified.get(`${schema}.${key}`.toLowerCase());
  };
  return { lookup, inlinedNode: (name) => ephemeral.get(name.toLowerCase()) };
}
