import type { Adapter, ColumnMeta } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { seedFileColumns } from './file-columns.js';
import type { LastResults } from './last-results.js';
import { columnLineage, type LineageStats } from './lineage/column-lineage.js';
import { LineageCache, lineageScope } from './lineage/lineage-cache.js';
import type { NodeLineage } from './lineage/resolve-columns.js';
import { buildSiteData } from './site-data.js';
import { readWarehouseColumns } from './warehouse-columns.js';
import { writeSite } from './write-site.js';

export interface GenerateDocsInput {
  manifest: Manifest;
  /** Where the site goes (target/docs). */
  outDir: string;
  /** The project folder, for seed CSV headers. */
  projectRoot: string;
  /** The target's adapter, not yet opened: column types and the SQL parser come through it. */
  adapter?: Adapter;
  /** Read column types from the warehouse (default true); false skips opening it at all. */
  readWarehouse?: boolean;
  results?: LastResults;
  /**
   * Where the column lineage of the last run is kept (target/partial/docs-lineage.json), so
   * only changed nodes are parsed again; none: every node is parsed.
   */
  lineageCachePath?: string;
  warn?: (message: string) => void;
}

export interface GenerateDocsResult {
  nodes: number;
  /** Nodes whose column lineage was resolved (parsed without error). */
  lineageNodes: number;
  /** Relations whose columns came from the warehouse. */
  warehouseRelations: number;
  files: number;
  bytes: number;
  /** Statements parsed, and nodes whose lineage came from the cache. */
  lineageStats: LineageStats;
  /** Milliseconds per phase: `lineage` includes parsing, `site` builds the data, `write` the files. */
  timings: { warehouse: number; lineage: number; site: number; write: number };
}

/** Manifest (+ last results, + warehouse columns when reachable) -> a static site in outDir. */
export async function generateDocs(input: GenerateDocsInput): Promise<GenerateDocsResult> {
  const { manifest, adapter } = input;
  const warn = input.warn ?? (() => undefined);
  const timings = { warehouse: 0, lineage: 0, site: 0, write: 0 };
  let started = performance.now();

  let warehouseColumns: Record<string, ColumnMeta[]> = {};
  if (adapter && input.readWarehouse !== false) {
    try {
      await adapter.open();
      warehouseColumns = await readWarehouseColumns(adapter, manifest);
    } catch (error) {
      if (!(error instanceof SmeltError)) throw error;
      warn(`Column types are not read from the warehouse: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    }
  }
  timings.warehouse = performance.now() - started;

  started = performance.now();
  let lineage: Record<string, NodeLineage> = {};
  let lineageStats: LineageStats = { parsed: 0, reused: 0, waves: 0 };
  if (adapter?.parseSql) {
    const cache = input.lineageCachePath ? LineageCache.open(input.lineageCachePath, lineageScope(adapter.type)) : undefined;
    lineage = await columnLineage({
      manifest,
      dialect: adapter.type,
      parse: (statements) => adapter.parseSql!(statements),
      warehouseColumns: Object.fromEntries(Object.entries(warehouseColumns).map(([id, columns]) => [id, columns.map((c) => c.name)])),
      fileColumns: seedFileColumns(input.projectRoot, manifest),
      cache,
      stats: (stats) => (lineageStats = stats),
    });
    try {
      cache?.save();
    } catch (error) {
      // The site does not need the cache; the next run parses everything again.
      warn(`The column lineage cache was not saved: ${(error as Error).message}`);
    }
  }
  timings.lineage = performance.now() - started;

  started = performance.now();
  const data = buildSiteData({ manifest, results: input.results, warehouseColumns, lineage });
  timings.site = performance.now() - started;
  started = performance.now();
  const written = await writeSite(input.outDir, data);
  timings.write = performance.now() - started;

  return {
    nodes: data.index.nodes.length,
    lineageNodes: Object.values(lineage).filter((l) => !l.error).length,
    warehouseRelations: Object.keys(warehouseColumns).length,
    files: written.files,
    bytes: written.bytes,
    lineageStats,
    timings,
  };
}
