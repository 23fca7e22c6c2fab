import { UsageError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import type { Materialization } from './materialization.js';
import { CdcMaterialization } from './cdc.js';
import { SnapshotMaterialization } from './snapshot.js';
import { IncrementalMaterialization } from './incremental.js';
import { TableMaterialization } from './table.js';
import { ViewMaterialization } from './view.js';

const STRATEGIES: Record<string, Materialization> = {
  table: new TableMaterialization(),
  view: new ViewMaterialization(),
  incremental: new IncrementalMaterialization(),
  cdc_current: new CdcMaterialization('cdc_current'),
  cdc_history: new CdcMaterialization('cdc_history'),
  snapshot: new SnapshotMaterialization(),
};

/** Picks the strategy from the node's `materialized` config. Ephemeral models are never built. */
export function materializationFor(node: CompiledNode): Materialization {
  const strategy = STRATEGIES[node.config.materialized];
  if (!strategy) throw new UsageError(`No materialization '${node.config.materialized}' for ${node.name}`, { file: node.path, node: node.uniqueId });
  return strategy;
}

export function registerMaterialization(name: string, strategy: Materialization): void {
  STRATEGIES[name] = strategy;
}
