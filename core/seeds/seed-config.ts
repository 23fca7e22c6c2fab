import { ConfigError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { parseTypeOverride, type ColumnTypeOverride } from './seed-types.js';

/** How one seed's CSV is read: the seed config keys, checked and with their defaults. */
export interface SeedCsvConfig {
  /** One ASCII character. */
  delimiter: string;
  /** The first row names the columns. */
  header: boolean;
  /** Names to use instead of the header's (or for a file without one). */
  columnNames?: string[];
  /** false (default): names are folded to lower case, as unquoted identifiers are. */
  quoteColumns: boolean;
  /** Column name (as written in config) -> type. */
  columnTypes: Record<string, ColumnTypeOverride>;
  /**
   * Whether the table must read back in file order. Unset: only for files up to
   * ORDERED_LOAD_MAX_BYTES; a larger one loads in parallel where the database can (DuckDB).
   */
  preserveOrder?: boolean;
}

/** Reads `delimiter`, `header`, `column_names`, `quote_columns`, `column_types` and `preserve_order` from a seed's config. */
export function seedConfigFor(node: CompiledNode): SeedCsvConfig {
  const config = node.config;
  const where = { file: node.patchPath ?? 'project.yml', node: node.uniqueId };
  const hintFile = node.patchPath ? `${node.patchPath} (or the seeds: section of project.yml)` : 'the seeds: section of project.yml';

  const delimiter = config.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter.charCodeAt(0) > 127 || /["\r\n]/.test(delimiter)) {
    throw new ConfigError(`Seed ${node.name}: delimiter must be one ASCII character other than a quote or a line break, not ${JSON.stringify(delimiter)}`, where, `Set it in ${hintFile}, e.g. delimiter: ";" or delimiter: "\\t".`);
  }
  const header = config.header ?? true;
  if (typeof header !== 'boolean') throw new ConfigError(`Seed ${node.name}: header must be true or false`, where, `Set it in ${hintFile}.`);
  const quoteColumns = config.quote_columns ?? false;
  if (typeof quoteColumns !== 'boolean') throw new ConfigError(`Seed ${node.name}: quote_columns must be true or false`, where, `Set it in ${hintFile}.`);

  const preserveOrder = config.preserve_order;
  if (preserveOrder !== undefined && typeof preserveOrder !== 'boolean') throw new ConfigError(`Seed ${node.name}: preserve_order must be true or false`, where, `Set it in ${hintFile}.`);

  let columnNames: string[] | undefined;
  if (config.column_names !== undefined) {
    if (!Array.isArray(config.column_names) || config.column_names.some((n) => typeof n !== 'string' && typeof n !== 'number')) {
      throw new ConfigError(`Seed ${node.name}: column_names must be a list of names`, where, `Set it in ${hintFile}, e.g. column_names: [id, name].`);
    }
    columnNames = config.column_names.map(String);
  }

  const columnTypes: Record<string, ColumnTypeOverride> = {};
  const raw = config.column_types ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`Seed ${node.name}: column_types must map column names to types`, where, `e.g. column_types: { id: bigint, price: numeric(12,2) }`);
  }
  for (const [column, type] of Object.entries(raw as Record<string, unknown>)) {
    const parsed = typeof type === 'string' ? parseTypeOverride(type) : undefined;
    if (!parsed) {
      throw new ConfigError(`Seed ${node.name}: column_types.${column} is not a column type: ${JSON.stringify(type)}`, where, 'Use a SQL type name such as integer, bigint, double precision, numeric(12,2), boolean, date, timestamp or text.');
    }
    columnTypes[column] = parsed;
  }
  return { delimiter, header, quoteColumns, columnTypes, ...(columnNames ? { columnNames } : {}), ...(preserveOrder !== undefined ? { preserveOrder } : {}) };
}
