import type { Adapter, ColumnMeta } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { seedFileColumns } from './file-columns.js';
import type { LastResults } from './last-results.js';
import { columnLineage } from './lineage/column-lineage.js';
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
  /** Milliseconds per phase. */
  timings: { warehouse: number; lineage: number; write: number };
}

/** Manifest (+ last results, + warehouse columns when reachable) -> a static site in outDir. */
export async function generateDocs(input: GenerateDocsInput): Promise<GenerateDocsResult> {
  const { manifest, adapter } = input;
  const warn = input.warn ?? (() => undefined);
  const timings = { warehouse: 0, lineage: 0, write: 0 };
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
  if (adapter?.parseSql) {
    lineage = await columnLineage({
      manifest,
      dialect: adapter.type,
      parse: (statements) => adapter.parseSql!(statements),
      warehouseColumns: Object.fromEntries(Object.entries(warehouseColumns).map(([id, columns]) => [id, columns.map((c) => c.name)])),
      fileColumns: seedFileColumns(input.projectRoot, manifest),
    });
  }
  timings.lineage = performance.now() - started;

  started = performance.now();
  const data = buildSiteData({ manifest, results: input.results, warehouseColumns, lineage });
  const written = writeSite(input.outDir, data);
  timings.write = performance.now() - started;

  return {
    nodes: data.index.nodes.length,
    lineageNodes: Object.values(lineage).filter((l) => !l.error).length,
    warehouseRelations: Object.keys(warehouseColumns).length,
    files: written.files,
    bytes: written.bytes,
    timings,
  };
}
