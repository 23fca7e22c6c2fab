import type { ParsedStatement } from '../../adapters/adapter.js';
import { Dag } from '../../graph/dag.js';
import type { CompiledNode, Manifest } from '../../manifest/types.js';
import { cteName } from '../../template/inline-ctes.js';
import { duckdbQueryShape } from './duckdb-shape.js';
import { postgresQueryShape } from './postgres-shape.js';
import type { QueryShape } from './query-shape.js';
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
}

/**
 * Column-level lineage of every node with SQL: parses the compiled SQL with the dialect's own
 * parser and resolves each output column to the columns of the nodes it reads. Nodes are
 * resolved in dependency order, so `select *` over a model expands to that model's columns
 * even before it is built.
 */
export async function columnLineage(input: ColumnLineageInput): Promise<Record<string, NodeLineage>> {
  const { manifest } = input;
  const read = SHAPE_READERS[input.dialect];
  if (!read) return {};
  // Dependency order, so each node's upstream columns are resolved before it is.
  const order = Dag.fromParentMap(manifest.parentMap).topologicalOrder();
  const withSql = order
    .map((id) => manifest.nodes[id])
    .filter((n): n is CompiledNode => !!n && n.compiledSql.trim() !== '' && n.resourceType !== 'test' && n.resourceType !== 'seed');

  const { lookup, inlinedNode } = relationLookup(manifest);
  const result: Record<string, NodeLineage> = {};
  const columnsOf = (id: string): KnownColumns | undefined => {
    const warehouse = input.warehouseColumns[id];
    if (warehouse && warehouse.length > 0) return { names: warehouse, open: false };
    const file = input.fileColumns?.[id];
    if (file && file.length > 0) return { names: file, open: false };
    const lineage = result[id];
    if (lineage && !lineage.error) {
      const names = lineage.columns.filter((c) => c.name !== '*').map((c) => c.name);
      return { names, open: lineage.columns.some((c) => c.name === '*') };
    }
    const node = manifest.nodes[id] ?? manifest.sources[id];
    const documented = node ? Object.values(node.columns).map((c) => c.name) : [];
    return documented.length > 0 ? { names: documented, open: true } : undefined;
  };
  const resolveNode = (node: CompiledNode, parsed: ParsedStatement): NodeLineage => {
    if (parsed.error !== undefined) return { columns: [], unresolved: [], error: parsed.error };
    let shape: QueryShape | undefined;
    try {
      shape = read(parsed.ast);
    } catch (error) {
      return { columns: [], unresolved: [], error: `could not read the syntax tree: ${(error as Error).message}` };
    }
    if (!shape) return { columns: [], unresolved: ['the SQL is not a SELECT'] };
    const self = (found: string | undefined): string | undefined => (found === node.uniqueId ? undefined : found);
    return resolveColumns(shape, {
      lookupRelation: (relation) => self(lookup(relation)),
      inlinedNode: (name) => self(inlinedNode(name)),
      columnsOf,
      outputColumns: input.warehouseColumns[node.uniqueId],
    });
  };

  // Parse in batches, a few ahead: the parser (DuckDB's own threads) works on the next batches
  // while this thread resolves the current one.
  const batches: CompiledNode[][] = [];
  for (let start = 0; start < withSql.length; start += PARSE_BATCH) batches.push(withSql.slice(start, start + PARSE_BATCH));
  const parsing: Promise<ParsedStatement[]>[] = [];
  const parse = (b: number): Promise<ParsedStatement[]> => (parsing[b] ??= input.parse(batches[b]!.map((n) => n.compiledSql)));
  for (let b = 0; b < batches.length; b++) {
    for (let ahead = b; ahead < Math.min(batches.length, b + PARSE_AHEAD); ahead++) void parse(ahead).catch(() => undefined);
    const parsed = await parse(b);
    batches[b]!.forEach((node, i) => {
      result[node.uniqueId] = resolveNode(node, parsed[i]!);
    });
  }
  return result;
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
