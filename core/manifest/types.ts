/**
 * The manifest: a plain, serialisable description of the whole project after load, render and
 * graph. Everything that touches a database (run, test, seed, build, docs) consumes only this.
 */
export type ResourceType = 'model' | 'seed' | 'snapshot' | 'test' | 'source';

export type Materialization = 'view' | 'table' | 'ephemeral' | 'incremental' | 'seed' | 'snapshot' | 'test';

/** Where a node lives in the warehouse. `database` is only set when the user configured one. */
export interface RelationName {
  database?: string;
  schema: string;
  identifier: string;
}

/** Config merged from project.yml folders, YAML properties and the model's own config() call. */
export interface NodeConfig {
  materialized: Materialization;
  enabled: boolean;
  /** Custom schema as configured (before generate_schema_name). */
  schema?: string;
  database?: string;
  alias?: string;
  tags: string[];
  /** Everything else the user set (unique_key, incremental_strategy, ...), kept verbatim. */
  [key: string]: unknown;
}

export interface ColumnInfo {
  name: string;
  description: string;
  data_type?: string;
  tags: string[];
  meta: Record<string, unknown>;
}

export interface BaseNode {
  /** `model.<project>.<name>`, `seed.<project>.<name>`, `source.<project>.<source>.<table>` ... */
  uniqueId: string;
  resourceType: ResourceType;
  name: string;
  packageName: string;
  /** Path relative to the project root, with forward slashes. */
  path: string;
  /** Folder parts below the resource path plus the name, as dbt's fqn. */
  fqn: string[];
  description: string;
  tags: string[];
  columns: Record<string, ColumnInfo>;
  meta: Record<string, unknown>;
  /** The YAML file that documents this node, if any. */
  patchPath?: string;
}

export interface DependsOn {
  /** Unique ids of models, seeds, snapshots and sources this node reads. */
  nodes: string[];
  macros: string[];
}

export interface CompiledNode extends BaseNode {
  resourceType: 'model' | 'seed' | 'snapshot' | 'test';
  config: NodeConfig;
  relation: RelationName;
  rawSql: string;
  /** Rendered SQL with refs resolved and ephemeral models inlined. */
  compiledSql: string;
  dependsOn: DependsOn;
  /** sha256 of the raw file contents. */
  checksum: string;
  /**
   * What state comparison (`state:modified`, `run --changed`) looks at: the raw SQL, the config,
   * the source of every macro the node called and the value of every var it read.
   */
  stateChecksum: string;
  /** Line in `path` at which the node's SQL starts (1 for model files). */
  startLine: number;
}

export interface SourceNode extends BaseNode {
  resourceType: 'source';
  sourceName: string;
  relation: RelationName;
  loader?: string;
  loadedAtField?: string;
  config: { enabled: boolean; tags: string[]; [key: string]: unknown };
}

export type ManifestNode = CompiledNode | SourceNode;

export interface MacroEntry {
  uniqueId: string;
  name: string;
  path: string;
  line: number;
  arguments: string[];
  description: string;
}

export interface ManifestMetadata {
  smeltVersion: string;
  generatedAt: string;
  projectName: string;
  targetName: string;
  adapterType: string;
  invocationId: string;
}

export interface Manifest {
  metadata: ManifestMetadata;
  nodes: Record<string, CompiledNode>;
  sources: Record<string, SourceNode>;
  macros: Record<string, MacroEntry>;
  /** uniqueId -> the uniqueIds it depends on. */
  parentMap: Record<string, string[]>;
  /** uniqueId -> the uniqueIds that depend on it. */
  childMap: Record<string, string[]>;
}

export function isCompiledNode(node: ManifestNode): node is CompiledNode {
  return node.resourceType !== 'source';
}
