/**
 * The manifest: a plain, serialisable description of the whole project after load, render and
 * graph. Everything that touches a database (run, test, seed, build, docs) consumes only this.
 */
export type ResourceType = 'model' | 'seed' | 'snapshot' | 'test' | 'source';

export type Materialization = 'view' | 'table' | 'ephemeral' | 'incremental' | 'seed' | 'snapshot' | 'test' | 'cdc_current' | 'cdc_history';

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
  /** Line in `path` at which the node's SQL starts (1 for model files; the YAML entry for generic and unit tests). */
  startLine: number;
  /** Tests only: what the test checks (see core/testing). */
  test?: TestMetadata;
}

/** What a test node checks: plain data, as dbt's test_metadata. */
export interface TestMetadata {
  type: 'generic' | 'singular' | 'unit';
  /** Generic tests: `not_null`, `relationships`, a custom test's name; and its namespace (`dbt_utils`). */
  name?: string;
  namespace?: string;
  /** Generic tests: the arguments, as written in YAML. */
  kwargs: Record<string, unknown>;
  columnName?: string;
  /** The model, seed, snapshot or source the test is declared on. */
  attachedNode?: string;
  /** Columns the test names, checked before it runs so a typo points at the YAML line. */
  columns: { node: string; column: string }[];
  /** Built by smelt's own SQL (no user macro), so it may share a scan with other tests. */
  builtin: boolean;
  unit?: UnitTestSpec;
}

/** A unit test of a model: fixed inputs in place of the relations it reads, and the rows expected. */
export interface UnitTestSpec {
  given: UnitTestInput[];
  expect: UnitTestFixture;
}

export interface UnitTestFixture {
  /** Rows from `rows:` (dict or csv); `sql` when the fixture is written as SQL. */
  rows?: Record<string, unknown>[];
  sql?: string;
  /** Line of the fixture and of each row, for errors; in `file` when it came from a fixture file. */
  file?: string;
  line: number;
  rowLines: number[];
}

export interface UnitTestInput extends UnitTestFixture {
  /** As written: `ref('stg_orders')`, `source('shop', 'orders')`, `this`. */
  input: string;
  /** Unique id of the node it stands in for. */
  node: string;
  /** The CTE the model reads instead of the real relation. */
  cte: string;
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
