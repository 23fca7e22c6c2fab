import { ConfigError } from '../errors.js';
import type { ColumnInfo, CompiledNode, Manifest, RelationName, SourceNode } from '../manifest/types.js';
import type { CdcSourceProperties } from '../project/schemas.js';

/** A source table declared with `cdc:`: its change log, where it is loaded from, and its key. */
export interface CdcSource {
  uniqueId: string;
  /** `source_name.table_name`, as selectors and messages spell it. */
  name: string;
  /** The YAML file that declares it. */
  path: string;
  /** The change-log table. */
  relation: RelationName;
  config: CdcSourceProperties;
  /** Primary-key columns with their declared types (text when not declared). */
  key: { name: string; dataType?: string }[];
  /** Columns declared in YAML (`columns:` with `data_type`), in order. */
  columns: { name: string; dataType?: string }[];
}

/** Names of the tables smelt keeps beside a change log. */
export const LOADS_TABLE = 'smelt_cdc_loads';
export const WATERMARKS_TABLE = 'smelt_cdc_watermarks';

export function rejectsRelation(source: CdcSource): RelationName {
  return { ...source.relation, identifier: `${source.relation.identifier}__rejects` };
}

export function loadsRelation(source: CdcSource): RelationName {
  return { ...source.relation, identifier: LOADS_TABLE };
}

export function isCdcSource(source: SourceNode): boolean {
  return source.config.cdc !== undefined && source.config.cdc !== null;
}

/** The CDC view of a source node (its `cdc:` block was validated when the YAML was loaded). */
export function cdcSource(source: SourceNode): CdcSource {
  const config = source.config.cdc as CdcSourceProperties;
  const columns = Object.values(source.columns).map(toColumn);
  return {
    uniqueId: source.uniqueId,
    name: `${source.sourceName}.${source.name}`,
    path: source.path,
    relation: source.relation,
    config,
    key: config.primary_key.map((name) => columns.find((c) => c.name === name) ?? { name }),
    columns,
  };
}

function toColumn(column: ColumnInfo): { name: string; dataType?: string } {
  return column.data_type ? { name: column.name, dataType: column.data_type } : { name: column.name };
}

/**
 * The CDC source a `cdc_current` / `cdc_history` model derives from: `config(cdc_source='src.table')`,
 * or else the one CDC source the model reads.
 */
export function cdcSourceOfModel(node: CompiledNode, manifest: Manifest): CdcSource {
  const where = { file: node.path, node: node.uniqueId };
  const all = Object.values(manifest.sources).filter(isCdcSource);
  const configured = node.config.cdc_source;
  if (typeof configured === 'string') {
    const match = all.find((s) => `${s.sourceName}.${s.name}` === configured);
    if (!match) throw new ConfigError(`cdc_source '${configured}' is not a source with a cdc: block`, where, all.length ? `CDC sources: ${all.map((s) => `${s.sourceName}.${s.name}`).join(', ')}.` : 'Declare one under sources: with a cdc: block.');
    return cdcSource(match);
  }
  const read = all.filter((s) => node.dependsOn.nodes.includes(s.uniqueId));
  if (read.length === 1) return cdcSource(read[0]!);
  throw new ConfigError(
    read.length === 0
      ? `${node.name} is materialized as '${node.config.materialized}' but reads no CDC source`
      : `${node.name} reads ${read.length} CDC sources (${read.map((s) => `${s.sourceName}.${s.name}`).join(', ')}); say which one it derives from`,
    where,
    read.length === 0 ? "Select from the change log: select * from {{ source('my_cdc', 'customers') }}" : "Add config(cdc_source='source_name.table_name').",
  );
}
