import type { ParsedStatement } from '../../adapters/adapter.js';
import { Dag } from '../../graph/dag.js';
import type { Manifest } from '../../manifest/types.js';
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
  const withSql = Object.values(manifest.nodes).filter((n) => n.compiledSql.trim() !== '' && n.resourceType !== 'test' && n.resourceType !== 'seed');
  const parsed = await input.parse(withSql.map((n) => n.compiledSql));
  const trees = new Map(withSql.map((node, i) => [node.uniqueId, parsed[i]!]));

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

  const order = Dag.fromParentMap(manifest.parentMap).topologicalOrder();
  for (const id of order) {
    const parsedStatement = trees.get(id);
    if (!parsedStatement) continue;
    if (parsedStatement.error !== undefined) {
      result[id] = { columns: [], unresolved: [], error: parsedStatement.error };
      continue;
    }
    let shape: QueryShape | undefined;
    try {
      shape = read(parsedStatement.ast);
    } catch (error) {
      result[id] = { columns: [], unresolved: [], error: `could not read the syntax tree: ${(error as Error).message}` };
      continue;
    }
    if (!shape) {
      result[id] = { columns: [], unresolved: ['the SQL is not a SELECT'] };
      continue;
    }
    result[id] = resolveColumns(shape, {
      lookupRelation: (relation) => {
        const found = lookup(relation);
        return found === id ? undefined : found;
      },
      inlinedNode: (name) => {
        const found = inlinedNode(name);
        return found === id ? undefined : found;
      },
      columnsOf,
      outputColumns: input.warehouseColumns[id],
    });
  }
  return result;
}

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
