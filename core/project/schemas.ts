import { z } from 'zod';

/**
 * zod schemas for project.yml and the YAML property files (dbt's schema.yml format). Objects
 * are strict so unknown keys can be reported (as warnings: see YamlFile.validate).
 */

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const pathList = stringList;
/** Folder config: `+key: value` entries and nested folders, resolved in project-config.ts. */
const folderConfig = z.record(z.string(), z.unknown());
const portValue = z.union([z.number().int(), z.string()]);

export const duckdbTargetSchema = z.strictObject({
  type: z.literal('duckdb'),
  /** Database file relative to the project root, or ':memory:'. */
  path: z.string().default('target/smelt.duckdb'),
  schema: z.string().default('main'),
  threads: z.number().int().positive().optional(),
});

export const postgresTargetSchema = z.strictObject({
  type: z.literal('postgres'),
  host: z.string().optional(),
  port: portValue.optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
  schema: z.string().default('public'),
  sslmode: z.string().optional(),
  threads: z.number().int().positive().optional(),
  connect_timeout: z.number().int().positive().optional(),
});

export const targetSchema = z.discriminatedUnion('type', [duckdbTargetSchema, postgresTargetSchema]);

export const projectSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid identifier (letters, digits, underscores)'),
  version: z.union([z.string(), z.number()]).transform(String).default('1.0'),
  'config-version': z.number().optional(),
  profile: z.string().optional(),
  'model-paths': pathList.default(['models']),
  'seed-paths': pathList.default(['seeds']),
  'macro-paths': pathList.default(['macros']),
  'snapshot-paths': pathList.default(['snapshots']),
  'test-paths': pathList.default(['tests']),
  'analysis-paths': pathList.optional(),
  'docs-paths': pathList.optional(),
  'asset-paths': pathList.optional(),
  'target-path': z.string().default('target'),
  'clean-targets': pathList.default(['target']),
  'require-dbt-version': z.unknown().optional(),
  vars: z.record(z.string(), z.unknown()).default({}),
  models: folderConfig.default({}),
  seeds: folderConfig.default({}),
  snapshots: folderConfig.default({}),
  tests: folderConfig.default({}),
  data_tests: folderConfig.default({}),
  sources: folderConfig.default({}),
  'on-run-start': stringList.optional(),
  'on-run-end': stringList.optional(),
  /** Name of the target used when --target is not given. */
  target: z.string().optional(),
  targets: z.record(z.string(), targetSchema).default({}),
});

export type ProjectFile = z.output<typeof projectSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type DuckdbTargetConfig = z.output<typeof duckdbTargetSchema>;
export type PostgresTargetConfig = z.output<typeof postgresTargetSchema>;

// ---------------------------------------------------------------------------------------------
// YAML property files

/** A test entry: `unique`, `{accepted_values: {values: [...]}}`, `{name: x, test_name: y, ...}`. */
export const testEntrySchema = z.union([z.string(), z.record(z.string(), z.unknown())]);

const testsList = z.array(testEntrySchema).optional();
const configBlock = z.record(z.string(), z.unknown()).optional();
const meta = z.record(z.string(), z.unknown()).optional();
const tags = stringList.optional();

export const columnSchema = z.strictObject({
  name: z.union([z.string(), z.number()]).transform(String),
  description: z.string().optional(),
  data_type: z.string().optional(),
  quote: z.boolean().optional(),
  tags,
  meta,
  config: configBlock,
  tests: testsList,
  data_tests: testsList,
  constraints: z.array(z.record(z.string(), z.unknown())).optional(),
  granularity: z.string().optional(),
  policy_tags: z.array(z.string()).optional(),
});

const docsBlock = z.record(z.string(), z.unknown()).optional();

export const modelPropertiesSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  config: configBlock,
  columns: z.array(columnSchema).optional(),
  tests: testsList,
  data_tests: testsList,
  tags,
  meta,
  docs: docsBlock,
  access: z.string().optional(),
  group: z.string().optional(),
  constraints: z.array(z.record(z.string(), z.unknown())).optional(),
  latest_version: z.unknown().optional(),
  versions: z.array(z.unknown()).optional(),
  deprecation_date: z.unknown().optional(),
  time_spine: z.unknown().optional(),
});

export const seedPropertiesSchema = modelPropertiesSchema;
export const snapshotPropertiesSchema = modelPropertiesSchema.extend({ relation: z.string().optional() });

/**
 * smelt: live change capture from a PostgreSQL logical replication slot by `smelt capture`
 * (core/capture/README.md). String values may use `{{ env_var('X', 'default') }}`.
 */
export const cdcCaptureSchema = z.strictObject({
  /** The operational database; unset values fall back to PGHOST, PGPORT, ... as targets do. */
  connection: z.strictObject({
    host: z.string().optional(),
    port: portValue.optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    sslmode: z.string().optional(),
    connect_timeout: z.number().int().positive().optional(),
  }).default({}),
  /** The logical replication slot (pgoutput); sources naming the same slot are captured together. */
  slot: z.string().regex(/^([a-z0-9_]{1,63}|.*\{\{.*)$/, 'must be lower-case letters, digits and underscores (at most 63), as PostgreSQL names slots'),
  /** The publication the slot reads through (default: the slot's name). */
  publication: z.string().optional(),
  /** Create the publication and the slot when they are missing (and drop them with --drop-slot). */
  create_slot: z.boolean().default(false),
  /** `initial` (default): the tables' rows as of the slot's start, as op r events; `never`: changes only. */
  snapshot: z.enum(['initial', 'never']).default('initial'),
});

/** smelt: a source table loaded from change-event files by `smelt ingest` (core/cdc/README.md), or captured live. */
export const cdcSourceSchema = z.strictObject({
  /** Files, folders or globs (`*`, `**`, `?`), relative to the project root. */
  path: stringList.default([]),
  format: z.enum(['debezium']).default('debezium'),
  primary_key: stringList,
  /** Only events from this source table (`table` or `schema.table`), when a file holds several; with capture: the table captured. */
  table: z.string().optional(),
  /** `fail` (default): a malformed event fails the load, which changes nothing; `quarantine`: it goes to `<table>__rejects`. */
  on_error: z.enum(['fail', 'quarantine']).default('fail'),
  /** Read the changes live from PostgreSQL instead of (or as well as) files. */
  capture: cdcCaptureSchema.optional(),
}).superRefine((cdc, context) => {
  if (cdc.path.length === 0 && !cdc.capture) context.addIssue({ code: 'custom', message: 'a cdc: block needs path: (change-event files) or capture: (a PostgreSQL replication slot)' });
});

export const sourceTableSchema = z.strictObject({
  name: z.string(),
  identifier: z.string().optional(),
  description: z.string().optional(),
  columns: z.array(columnSchema).optional(),
  tests: testsList,
  data_tests: testsList,
  loaded_at_field: z.string().optional(),
  freshness: z.unknown().optional(),
  tags,
  meta,
  config: configBlock,
  quoting: z.record(z.string(), z.boolean()).optional(),
  external: z.unknown().optional(),
  docs: docsBlock,
  /** smelt: this table is a CDC change log (see the CDC docs). */
  cdc: cdcSourceSchema.optional(),
});

export const sourcePropertiesSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  schema: z.string().optional(),
  database: z.string().optional(),
  loader: z.string().optional(),
  loaded_at_field: z.string().optional(),
  freshness: z.unknown().optional(),
  tags,
  meta,
  config: configBlock,
  quoting: z.record(z.string(), z.boolean()).optional(),
  overrides: z.string().optional(),
  tables: z.array(sourceTableSchema).default([]),
});

export const macroPropertiesSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  arguments: z.array(z.strictObject({ name: z.string(), type: z.string().optional(), description: z.string().optional() })).optional(),
  docs: docsBlock,
  meta,
});

export const propertiesFileSchema = z.strictObject({
  version: z.union([z.number(), z.string()]).optional(),
  models: z.array(modelPropertiesSchema).optional(),
  seeds: z.array(seedPropertiesSchema).optional(),
  snapshots: z.array(snapshotPropertiesSchema).optional(),
  sources: z.array(sourcePropertiesSchema).optional(),
  macros: z.array(macroPropertiesSchema).optional(),
  unit_tests: z.array(z.record(z.string(), z.unknown())).optional(),
  exposures: z.array(z.unknown()).optional(),
  metrics: z.array(z.unknown()).optional(),
  semantic_models: z.array(z.unknown()).optional(),
  saved_queries: z.array(z.unknown()).optional(),
  groups: z.array(z.unknown()).optional(),
  analyses: z.array(z.unknown()).optional(),
});

export type PropertiesFile = z.output<typeof propertiesFileSchema>;
export type ModelProperties = z.output<typeof modelPropertiesSchema>;
export type SourceProperties = z.output<typeof sourcePropertiesSchema>;
export type ColumnProperties = z.output<typeof columnSchema>;
export type TestEntry = z.output<typeof testEntrySchema>;
export type CdcSourceProperties = z.output<typeof cdcSourceSchema>;
export type CdcCaptureProperties = z.output<typeof cdcCaptureSchema>;
