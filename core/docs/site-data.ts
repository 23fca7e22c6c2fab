import { posix } from 'node:path';
import type { ColumnMeta } from '../adapters/adapter.js';
import type { CompiledNode, Manifest, ManifestNode } from '../manifest/types.js';
import type { NodeLineage } from './lineage/resolve-columns.js';
import type { LastResult, LastResults } from './last-results.js';

/**
 * What the site shows, split by when the browser needs it:
 * - `index`: every node with names, descriptions, columns and edges (search, graph, sidebar);
 * - `details`: SQL, config and run details, in shards loaded when a node's page opens;
 * - `lineage`: column lineage, loaded when a page or the graph first shows it.
 * Nodes are referred to by their position in `index.nodes` to keep the files small.
 */
export interface SiteData {
  index: SiteIndex;
  details: Record<string, NodeDetail>[];
  lineage: Record<number, SiteLineage>;
}

export interface SiteIndex {
  project: {
    name: string;
    adapterType: string;
    targetName: string;
    generatedAt: string;
    smeltVersion: string;
    /** The run whose results are shown, if target/run_results.json was there. */
    lastRun?: { command: string; generatedAt: string; elapsed?: number };
    /** Whether column types were read from the warehouse. */
    warehouse: boolean;
  };
  nodes: SiteNode[];
}

export interface SiteNode {
  id: string;
  name: string;
  /** model, seed, snapshot, test, source, or `cdc source`. */
  type: string;
  materialized?: string;
  folder: string;
  /** bronze, silver, gold, source, or the top folder: what the graph colours by. */
  layer: string;
  tags: string[];
  description: string;
  /** Indices of the nodes this one reads, and of those that read it (tests included). */
  up: number[];
  down: number[];
  /** Last run status (success, error, skipped, pass, fail, warn), if it ran. */
  status?: string;
  /** [name, data type, description] from the warehouse, the lineage and the YAML, merged. */
  columns: [string, string, string][];
  /** Tests only: the node and column they check, and the generic test's name. */
  tested?: number;
  testedColumn?: string;
  testName?: string;
  shard: number;
}

export interface NodeDetail {
  uniqueId: string;
  path: string;
  relation?: string;
  rawSql: string;
  compiledSql: string;
  config: Record<string, unknown>;
  meta: Record<string, unknown>;
  patchPath?: string;
  source?: { sourceName: string; loader?: string; loadedAtField?: string; cdc?: unknown };
  test?: unknown;
  result?: LastResult;
  /** This node's column lineage, and which downstream columns read each of its columns. */
  lineage?: SiteLineage & { usedBy: Record<string, [number, string, string][]> };
}

/** Per output column: [name, transform, [[node index, column], ...]]; plus what was not resolved. */
export interface SiteLineage {
  columns: [string, string, [number, string][]][];
  unresolved: string[];
  error?: string;
}

export interface SiteDataInput {
  manifest: Manifest;
  results?: LastResults;
  warehouseColumns?: Record<string, ColumnMeta[]>;
  lineage?: Record<string, NodeLineage>;
}

export const SHARD_SIZE = 100;
const TYPE_ORDER = ['source', 'cdc source', 'seed', 'snapshot', 'model', 'test'];

export function buildSiteData(input: SiteDataInput): SiteData {
  const { manifest } = input;
  const all: ManifestNode[] = [...Object.values(manifest.sources), ...Object.values(manifest.nodes)];
  const typeOf = (node: ManifestNode): string => (node.resourceType === 'source' && node.config.cdc !== undefined && node.config.cdc !== false ? 'cdc source' : node.resourceType);
  // Plain code-unit order: localeCompare costs a third of a second on 10,000 nodes.
  const keyed = all.map((node) => ({ node, key: `${TYPE_ORDER.indexOf(typeOf(node))}\u0000${node.name}\u0000${node.uniqueId}` }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : 1));
  keyed.forEach((k, i) => (all[i] = k.node));
  const indexOf = new Map(all.map((node, i) => [node.uniqueId, i]));
  const idx = (ids: readonly string[] | undefined): number[] => {
    const out: number[] = [];
    for (const id of ids ?? []) {
      const i = indexOf.get(id);
      if (i !== undefined) out.push(i);
    }
    return out;
  };

  // Properties set to undefined are left out by JSON.stringify: cheaper than spreading `{}`s.
  const nodes: SiteNode[] = [];
  const details: Record<string, NodeDetail>[] = [];
  all.forEach((node, i) => {
    const shard = Math.floor(i / SHARD_SIZE);
    const result = input.results?.byNode.get(node.uniqueId);
    const test = testInfo(node);
    const site: SiteNode = {
      id: node.uniqueId,
      name: node.name,
      type: typeOf(node),
      materialized: node.resourceType !== 'source' ? node.config.materialized : undefined,
      folder: folderOf(node),
      layer: layerOf(node),
      tags: node.tags,
      description: node.description,
      up: idx(manifest.parentMap[node.uniqueId]),
      down: idx(manifest.childMap[node.uniqueId]),
      status: result?.status,
      columns: mergeColumns(node, input.warehouseColumns?.[node.uniqueId], input.lineage?.[node.uniqueId]),
      shard,
    };
    if (test) {
      const tested = test.attachedNode ?? (node as CompiledNode).dependsOn?.nodes[0];
      const testedIndex = tested !== undefined ? indexOf.get(tested) : undefined;
      if (testedIndex !== undefined) site.tested = testedIndex;
      if (test.columnName) site.testedColumn = test.columnName;
      if (test.name) site.testName = test.name;
    }
    nodes.push(site);
    (details[shard] ??= {})[node.uniqueId] = detailOf(node, result);
  });

  // In node order, so readers are listed the same however the lineage was computed.
  const lineage: Record<number, SiteLineage> = {};
  const usedBy = new Map<number, Record<string, [number, string, string][]>>();
  all.forEach((node, at) => {
    const entry = input.lineage?.[node.uniqueId];
    if (!entry) return;
    const columns = entry.columns.map((c): [string, string, [number, string][]] => {
      const sources: [number, string][] = [];
      for (const s of c.sources) {
        const n = indexOf.get(s.node);
        if (n !== undefined) sources.push([n, s.column]);
      }
      return [c.name, c.transform, sources];
    });
    lineage[at] = { columns, unresolved: entry.unresolved, error: entry.error || undefined };
    for (const [name, transform, sources] of columns) {
      for (const [source, column] of sources) {
        // No prototype: a column may be called __proto__.
        let readers = usedBy.get(source);
        if (!readers) usedBy.set(source, (readers = Object.create(null) as Record<string, [number, string, string][]>));
        // `*`: a `select *` over a node whose columns were unknown reads every column of it.
        (readers[column.toLowerCase()] ??= []).push([at, name, transform]);
      }
    }
  });
  // A node page needs only its own shard: its lineage and its readers go in with its details.
  all.forEach((node, i) => {
    const own = lineage[i];
    const readers = usedBy.get(i);
    if (!own && !readers) return;
    details[Math.floor(i / SHARD_SIZE)]![node.uniqueId]!.lineage = { columns: own?.columns ?? [], unresolved: own?.unresolved ?? [], error: own?.error, usedBy: readers ?? {} };
  });

  return {
    index: {
      project: {
        name: manifest.metadata.projectName,
        adapterType: manifest.metadata.adapterType,
        targetName: manifest.metadata.targetName,
        generatedAt: new Date().toISOString(),
        smeltVersion: manifest.metadata.smeltVersion,
        ...(input.results ? { lastRun: input.results.run } : {}),
        warehouse: Object.keys(input.warehouseColumns ?? {}).length > 0,
      },
      nodes,
    },
    details,
    lineage,
  };
}

/** A test node's metadata (core/testing fills `test`; read loosely so older manifests work). */
function testInfo(node: ManifestNode): { columnName?: string; attachedNode?: string; name?: string } | undefined {
  if (node.resourceType !== 'test') return undefined;
  const test = (node as { test?: { columnName?: string; attachedNode?: string; name?: string } }).test;
  return test ?? {};
}

function folderOf(node: ManifestNode): string {
  const dir = posix.dirname(node.path);
  return dir === '.' ? '' : dir;
}

/** The medallion layer when the folder or a tag names one; otherwise sources/seeds, or the top folder. */
export function layerOf(node: ManifestNode): string {
  const parts = [...node.fqn.slice(1, -1), ...node.tags].map((p) => p.toLowerCase());
  for (const layer of ['bronze', 'silver', 'gold']) if (parts.includes(layer)) return layer;
  if (node.resourceType === 'source' || node.resourceType === 'seed') return 'source';
  if (node.resourceType === 'test') return 'test';
  return node.fqn.length > 2 ? node.fqn[1]! : 'other';
}

/** Warehouse order first (with types), then columns only the lineage knows, then YAML-only ones. */
function mergeColumns(node: ManifestNode, warehouse: ColumnMeta[] | undefined, lineage: NodeLineage | undefined): [string, string, string][] {
  const documented = new Map(Object.values(node.columns).map((c) => [c.name.toLowerCase(), c]));
  const seen = new Set<string>();
  const out: [string, string, string][] = [];
  const add = (name: string, type: string | undefined): void => {
    const key = name.toLowerCase();
    if (seen.has(key) || name === '*') return;
    seen.add(key);
    const doc = documented.get(key);
    out.push([doc?.name ?? name, type || doc?.data_type || '', doc?.description ?? '']);
  };
  for (const column of warehouse ?? []) add(column.name, column.dataType);
  for (const column of lineage?.columns ?? []) add(column.name, undefined);
  for (const column of Object.values(node.columns)) add(column.name, column.data_type);
  return out;
}

function detailOf(node: ManifestNode, result: LastResult | undefined): NodeDetail {
  const relation = 'relation' in node && node.relation ? [node.relation.database, node.relation.schema, node.relation.identifier].filter(Boolean).join('.') : undefined;
  const base: NodeDetail = {
    uniqueId: node.uniqueId,
    path: node.path,
    ...(relation && !(node.resourceType !== 'source' && node.config.materialized === 'ephemeral') ? { relation } : {}),
    rawSql: node.resourceType === 'source' ? '' : node.rawSql,
    compiledSql: node.resourceType === 'source' ? '' : node.compiledSql,
    config: node.config as Record<string, unknown>,
    meta: node.meta,
    ...(node.patchPath ? { patchPath: node.patchPath } : {}),
    ...(result ? { result } : {}),
  };
  if (node.resourceType === 'source') {
    base.source = {
      sourceName: node.sourceName,
      ...(node.loader ? { loader: node.loader } : {}),
      ...(node.loadedAtField ? { loadedAtField: node.loadedAtField } : {}),
      ...(node.config.cdc !== undefined ? { cdc: node.config.cdc } : {}),
    };
  }
  const test = (node as { test?: unknown }).test;
  if (test !== undefined) base.test = test;
  return base;
}
