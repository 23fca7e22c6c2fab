import { ConfigError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { CsvCheckStream, type CsvCheck } from './csv-check-stream.js';
import { readCsvPrefix, readCsvRecords, readFilePrefix, type CsvReadOptions, type CsvRecord, type FilePrefix } from './csv-records.js';
import { hashFile } from './file-digest.js';
import type { SeedCsvConfig } from './seed-config.js';
import { SeedError, SeedNotUtf8, preview } from './seed-error.js';
import { ColumnInference, fits, kindMatcher, type ColumnTypeOverride, type SeedKind } from './seed-types.js';

/** Rows sampled before loading; the rest is checked while it loads. */
export const SAMPLE_ROWS = 5_000;

export interface SeedColumn {
  /** The column's name in the table. */
  name: string;
  /** From `column_types`. */
  override?: ColumnTypeOverride;
  /**
   * Inferred from the rows read so far, or the override's kind. Undefined for a type smelt does
   * not know, and for an inferred column with no values yet (text, if none ever come).
   */
  kind?: SeedKind;
}

export interface CsvShape {
  columns: SeedColumn[];
  /** Lines before the first record (blank lines), for loaders that skip lines by count. */
  skipLines: number;
  /** Data rows read. */
  rows: number;
  /** Every row was read: the inferred types are the whole file's. */
  complete: boolean;
}

export interface InspectOptions {
  /** Absolute path. */
  path: string;
  /** Relative path, for messages. */
  file: string;
  config: SeedCsvConfig;
  /** Where column_types is configured, for messages. */
  configFile: string;
  sampleRows?: number;
}

/**
 * The header and the first rows: column names and (sampled) types. The rest of the file is
 * checked while it loads.
 */
export async function inspectCsv(options: InspectOptions): Promise<CsvShape> {
  try {
    return await readShape(options, { limit: options.sampleRows ?? SAMPLE_ROWS, checkUtf8: false });
  } catch (error) {
    // An invalid byte may come before the problem the sample found: report the first in the file.
    const digest = await hashFile(options.path).catch(() => undefined);
    if (digest && !digest.validUtf8) await readShape(options, { checkUtf8: true });
    throw error;
  }
}

/**
 * Reads the whole file with csv-parse: the authority on what is wrong with it (structure, UTF-8,
 * values outside their overridden type) and on the types of the inferred columns.
 */
export async function diagnoseCsv(options: InspectOptions): Promise<CsvShape> {
  const { validUtf8 } = await hashFile(options.path);
  const shape = await readShape(options, { checkUtf8: !validUtf8 });
  if (!validUtf8) throw new SeedNotUtf8(options.file);
  return shape;
}

async function readShape(options: InspectOptions, mode: { limit?: number; checkUtf8: boolean }): Promise<CsvShape> {
  const { config, file } = options;
  let columns: SeedColumn[] | undefined;
  let inference: ColumnInference[] = [];
  let checks: ((value: string, line: number) => void)[] = [];
  let skipLines = 0;
  let rows = 0;
  let complete = true;
  const read = { path: options.path, file, delimiter: config.delimiter, names: () => columns?.map((c) => c.name) };
  const prefix = mode.limit !== undefined && !mode.checkUtf8 ? readFilePrefix(options.path) : undefined;
  if (prefix && mode.limit !== undefined) {
    const sampled = samplePrefix(options, prefix, mode.limit);
    if (sampled) return sampled;
  }
  // A sample needs the header and one record past the limit (to know the file goes on).
  const parsed = prefix && mode.limit !== undefined ? readCsvPrefix(read, mode.limit + 2, prefix) : undefined;
  const records: Iterable<CsvRecord> | AsyncIterable<CsvRecord> = parsed ?? readCsvRecords(read);
  for await (const record of records) {
    if (mode.checkUtf8) checkUtf8(record.values, record.line, file, columns);
    if (!columns) {
      skipLines = record.line - 1;
      columns = resolveColumns(record.values, options);
      inference = columns.map(() => new ColumnInference());
      checks = columns.map((column) => overrideCheck(column, options));
      if (config.header) continue;
    }
    if (mode.limit !== undefined && rows >= mode.limit) {
      complete = false;
      break;
    }
    rows++;
    const values = record.values;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (value === '') continue;
      const column = columns[i]!;
      if (column.override) checks[i]!(value, record.line);
      else inference[i]!.observe(value);
    }
  }
  if (!columns) {
    throw new SeedError(config.header ? 'The file is empty: a seed needs a header row naming its columns' : 'The file is empty', { file, line: 1 }, 'Add a header row (and data rows) or delete the file.');
  }
  // An inferred column with no value among the rows read keeps kind undefined (text, unless later rows say otherwise).
  const resolved = columns.map((column, i) => {
    const kind = inference[i]!.kind;
    return column.override || kind === undefined ? column : { ...column, kind };
  });
  return { columns: resolved, skipLines, rows, complete };
}

const NOTHING_FITS = (): boolean => false;

/**
 * The sample from the file's first bytes, read by the byte checker instead of csv-parse (which
 * takes about 0.08 s for 5,000 rows in a fresh process, most of it warming up; bench/README.md,
 * P3): csv-parse reads only the header, the checker the rows, widening each column's type from
 * nothing as csv-parse's values would (the matchers say what fits() says, and a quoted value
 * is text either way). Undefined for anything the checker objects to (csv-parse then finds and
 * words it) or when the prefix does not hold the sample.
 */
export function samplePrefix(options: InspectOptions, prefix: FilePrefix, limit: number): CsvShape | undefined {
  const { config, file } = options;
  const read: CsvReadOptions = { path: options.path, file, delimiter: config.delimiter };
  const first = readCsvPrefix(read, 1, prefix)?.[0];
  if (!first) return undefined;
  const columns = resolveColumns(first.values, options);
  const checks: (CsvCheck | undefined)[] = columns.map((column) => {
    if (!column.override) return { match: NOTHING_FITS, expected: 'text', widen: new ColumnInference() };
    const match = column.override.kind && kindMatcher(column.override.kind, true);
    return match ? { match, expected: column.override.sql, configuredIn: options.configFile } : undefined;
  });
  const scan = new CsvCheckStream({ file, delimiter: config.delimiter, columns: columns.map((c) => c.name), header: config.header, emit: false, checks, limit });
  try {
    scan.checkChunk(prefix.bytes);
    if (prefix.whole) scan.checkEnd();
  } catch {
    return undefined;
  }
  if (!scan.more && !prefix.whole) return undefined;
  const resolved = columns.map((column, i) => {
    const kind = checks[i]?.widen?.kind;
    return column.override || kind === undefined ? column : { ...column, kind };
  });
  return { columns: resolved, skipLines: first.line - 1, rows: Math.min(scan.rows, limit), complete: !scan.more };
}

function checkUtf8(values: readonly string[], line: number, file: string, columns: SeedColumn[] | undefined): void {
  for (let i = 0; i < values.length; i++) {
    if (!values[i]!.includes('\uFFFD')) continue;
    const where = columns ? `in column '${columns[i]?.name ?? i + 1}'` : 'in the header';
    throw new SeedError(`Invalid UTF-8 ${where}: '${preview(values[i]!)}'`, { file, line }, 'Save the file as UTF-8 (in a spreadsheet: "CSV UTF-8"); invalid bytes are shown as \uFFFD.');
  }
}

/** Names from the header (or column_names), folded to lower case unless quote_columns is set. */
function resolveColumns(first: readonly string[], options: InspectOptions): SeedColumn[] {
  const { config, file } = options;
  let names: string[];
  if (config.columnNames) {
    if (config.columnNames.length !== first.length) {
      throw new SeedError(`column_names lists ${config.columnNames.length} names but the file has ${first.length} columns`, { file, line: 1 }, `Give one name per column in ${options.configFile}.`);
    }
    names = config.columnNames;
  } else if (config.header) {
    names = [...first];
  } else {
    names = first.map((_, i) => `column_${i + 1}`);
  }
  const source = config.columnNames ? 'column_names' : 'the header';
  const seen = new Map<string, number>();
  const columns = names.map((raw, index) => {
    const name = config.quoteColumns ? raw : raw.toLowerCase();
    if (name.trim() === '') {
      throw new SeedError(`Column ${index + 1} has no name in ${source}`, { file, line: 1 }, 'Give every column a name.');
    }
    // DuckDB compares names without regard to case: treat 'ID' and 'id' as the same everywhere.
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new SeedError(`Column '${name}' appears twice in ${source} (columns ${earlier + 1} and ${index + 1})`, { file, line: 1 }, 'Column names must be unique (ignoring case): rename one of them.');
    }
    seen.set(key, index);
    return { name };
  });

  const byKey = new Map(columns.map((c) => [config.quoteColumns ? c.name : c.name.toLowerCase(), c] as const));
  for (const [key, override] of Object.entries(config.columnTypes)) {
    const column = byKey.get(config.quoteColumns ? key : key.toLowerCase());
    if (!column) {
      throw new ConfigError(`column_types names column '${key}', which ${file} does not have`, { file: options.configFile }, didYouMean(key, columns.map((c) => c.name)) ?? `Its columns: ${columns.map((c) => c.name).join(', ')}.`);
    }
    Object.assign(column, { override, ...(override.kind ? { kind: override.kind } : {}) });
  }
  return columns as SeedColumn[];
}

function overrideCheck(column: SeedColumn, options: InspectOptions): (value: string, line: number) => void {
  const kind = column.override?.kind;
  if (!kind) return () => undefined;
  return (value, line) => {
    if (fits(kind, value, true)) return;
    throw new SeedError(
      `Value '${preview(value)}' in column '${column.name}' is not a valid ${column.override!.sql} (column_types sets ${column.name}: ${column.override!.sql})`,
      { file: options.file, line },
      `Fix the value, or change column_types for '${column.name}' in ${options.configFile} (text accepts any value).`,
    );
  };
}
