import { createReadStream, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable, pipeline as pipelineCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Adapter, Connection, CsvBulkLoad, CsvColumn } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { runAtomically } from '../materializations/materialization.js';
import { tempIdentifier } from '../materializations/temp-name.js';
import { sha256 } from '../util/hash.js';
import { CsvCheckStream, type CsvCheck } from './csv-check-stream.js';
import { FileDigest, hashFile } from './file-digest.js';
import { diagnoseCsv, inspectCsv, type CsvShape, type InspectOptions, type SeedColumn } from './csv-inspect.js';
import type { RunHistory } from './run-history.js';
import { seedConfigFor } from './seed-config.js';
import { SeedError, SeedNotUtf8, SeedValueMismatch } from './seed-error.js';
import { ColumnInference, SQL_TYPE, kindMatcher } from './seed-types.js';

/** Bumped when a change to the loader changes what a table would hold, so checksums stop matching. */
const LOADER_VERSION = 1;

/**
 * Files up to this size read back in file order unless `preserve_order: false`; larger ones may
 * load in parallel (DuckDB: two threads without its ordered insert, about 1.3 times faster at
 * 1M rows and 2.4 s less at 5M, bench/README.md "Seeds (P3)") unless `preserve_order: true`.
 */
export const ORDERED_LOAD_MAX_BYTES = 16 * 1024 * 1024;

export interface SeedLoadOptions {
  adapter: Adapter;
  connection: Connection;
  node: CompiledNode;
  /** Project root; the node's path is relative to it. */
  root: string;
  fullRefresh: boolean;
  history: RunHistory;
  /** Rows sampled before loading (tests make it small to exercise the rest of the file). */
  sampleRows?: number;
  /** Told how far the load is: bytes read of the file's size, and rows checked so far. */
  onProgress?(bytes: number, totalBytes: number, rows: number): void;
}

export interface SeedLoadOutcome {
  /** Undefined when the seed was skipped as unchanged. */
  rows?: number;
  /** Rows the table holds (for an unchanged seed: as of its last load). */
  tableRows?: number;
  unchanged: boolean;
  message: string;
  checksum: string;
  columns: { name: string; type: string }[];
  warnings: string[];
}

/**
 * Loads one seed: sample the header and first rows for names and types, skip when unchanged,
 * bulk load into a temporary table while the same bytes are checked, then swap it in. Anything
 * wrong with the file throws a located SeedError before the swap, so the previous table stays
 * as it was.
 */
export async function loadSeed(options: SeedLoadOptions): Promise<SeedLoadOutcome> {
  const { adapter, connection, node } = options;
  const config = seedConfigFor(node);
  const inspect: InspectOptions = {
    path: resolve(options.root, node.path),
    file: node.path,
    config,
    configFile: node.patchPath ?? 'project.yml',
    ...(options.sampleRows !== undefined ? { sampleRows: options.sampleRows } : {}),
  };
  const inspection = await inspectCsv(inspect);
  // The checksum covers the file and everything in the config that changes what the table holds.
  const configKey = JSON.stringify({
    loader: LOADER_VERSION,
    delimiter: config.delimiter,
    header: config.header,
    columnNames: config.columnNames ?? null,
    quoteColumns: config.quoteColumns,
    columnTypes: Object.fromEntries(Object.entries(config.columnTypes).map(([k, v]) => [k, v.sql]).sort()),
    // Unset is left out, so checksums recorded before the key existed still match.
    ...(config.preserveOrder !== undefined ? { preserveOrder: config.preserveOrder } : {}),
  });
  const checksumOf = (fileHash: string): string => sha256(`${configKey}\n${fileHash}`);

  const existing = await adapter.getRelation(connection, node.relation);
  if (!options.fullRefresh && existing?.type === 'table') {
    const last = await options.history.lastSuccess(connection, node.uniqueId, node.relation);
    // Hashing reads the file at native speed; it is only worth it when a skip is possible.
    const checksum = last ? checksumOf((await hashFile(inspect.path)).hash) : undefined;
    if (last && last.checksum === checksum) {
      return { unchanged: true, tableRows: last.rows, message: 'unchanged', checksum, columns: tableColumns(inspection.columns), warnings: [] };
    }
  }
  const before = existing ? await adapter.getColumns(connection, node.relation) : [];

  let shape: CsvShape = inspection;
  let loaded: { rows: number; fileHash: string };
  let longRecords: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      loaded = await loadIntoTemp(options, shape, config.delimiter, config.header, inspect, longRecords);
      break;
    } catch (error) {
      if (error instanceof SeedNotUtf8) {
        // csv-parse finds the first value with an invalid byte (and throws it, located).
        await diagnoseCsv(inspect);
        throw error;
      }
      if (error instanceof SeedValueMismatch && error.inferred && attempt === 1) {
        // A row after the sample needs a wider type: find the whole file's types (a byte scan), load again.
        shape = await scanTypes(shape, config.delimiter, config.header, inspect);
        continue;
      }
      // A problem the byte checker located is the answer; anything else is the database's.
      if (error instanceof SeedError || !(error instanceof SmeltError) || attempt > 1) throw toSeedError(error, node.path);
      // csv-parse reads the whole file: it throws the located SeedError for a problem it finds,
      // else tells whether wider types would do (a value the database refused for its type).
      const full = await diagnoseCsv(inspect);
      if (sameTypes(full.columns, shape.columns)) {
        // The file reads well, but the database's reader gave up on a record longer than its line
        // limit (DuckDB's message for a long quoted value is an unterminated quote): once more,
        // with room for a record as long as the file.
        const size = statSync(inspect.path).size;
        if (longRecords === undefined && LINE_LIMIT_ERROR.test(error.message) && size <= LONG_RECORD_MAX_BYTES) {
          longRecords = size + 1;
          continue;
        }
        throw toSeedError(error, node.path);
      }
      shape = full;
    }
  }
  const { rows } = loaded;
  const checksum = checksumOf(loaded.fileHash);

  const temp = { ...node.relation, identifier: tempIdentifier(node.relation.identifier) };
  const swap = [
    ...(existing ? [adapter.dialect.drop(node.relation, existing.type, { cascade: adapter.capabilities.dropCascadesDependentViews })] : []),
    adapter.dialect.rename(temp, 'table', node.relation.identifier),
  ];
  const context = { node, sql: '', adapter, connection, fullRefresh: options.fullRefresh, render: () => '' };
  const { warnings } = await runAtomically(context, swap, undefined, 0);

  const columns = tableColumns(shape.columns);
  const changed = existing !== undefined && (before.length !== columns.length || before.some((c, i) => c.name !== columns[i]!.name));
  return { unchanged: false, rows, tableRows: rows, message: changed ? 'columns changed: table replaced' : 'loaded', checksum, columns, warnings };
}

/** What DuckDB's reader says when a record is longer than its line limit. */
const LINE_LIMIT_ERROR = /maximum line size|unterminated quote/i;

/**
 * Files up to this size are tried again with room for a record as long as the file: twice that
 * in read buffers stays within the 100 MB a load that runs alone may use (lean-load.ts).
 */
const LONG_RECORD_MAX_BYTES = 32 * 1024 * 1024;

/** Creates the temporary table and fills it, in one transaction: on any error nothing is left. */
async function loadIntoTemp(options: SeedLoadOptions, shape: CsvShape, delimiter: string, header: boolean, inspect: InspectOptions, longestRecordBytes?: number): Promise<{ rows: number; fileHash: string }> {
  const { adapter, connection, node } = options;
  const temp = { ...node.relation, identifier: tempIdentifier(node.relation.identifier) };
  const columns = shape.columns.map(toCsvColumn);
  const checks = checksFor(shape, inspect.configFile);
  const digest = new FileDigest();
  const checker = (emit: boolean, withDigest: boolean): CsvCheckStream =>
    new CsvCheckStream({ file: node.path, delimiter, columns: columns.map((c) => c.name), header, emit, checks, ...(withDigest ? { digest } : {}) });
  const totalBytes = statSync(inspect.path).size;
  let progressed: CsvCheckStream | undefined;
  const read = (): Readable => {
    const stream = createReadStream(inspect.path, { highWaterMark: 1 << 20 });
    if (options.onProgress) {
      let bytes = 0;
      stream.on('data', (chunk) => {
        bytes += chunk.length;
        options.onProgress!(bytes, totalBytes, progressed?.rows ?? 0);
      });
    }
    return stream;
  };
  /** The checked bytes, for adapters that are sent them. */
  const open = (stream: CsvCheckStream) => (): Readable => pipelineCallback(read(), stream, () => undefined);

  return connection.transaction(async () => {
    await connection.execute(adapter.dialect.drop(temp, 'table', { ifExists: true }));
    const keepOrder = inspect.config.preserveOrder ?? totalBytes <= ORDERED_LOAD_MAX_BYTES;
    const load: Omit<CsvBulkLoad, 'open'> = { relation: temp, path: inspect.path, columns, delimiter, header, skipLines: shape.skipLines, keepOrder, ...(longestRecordBytes ? { longestRecordBytes } : {}) };
    let checked: CsvCheckStream;
    let rows: number;
    if (adapter.capabilities.bulkLoadReadsFile) {
      // The database reads the file itself; smelt checks the same bytes alongside and wins on error.
      checked = checker(false, true);
      const stop = new AbortController();
      const scan = checkFile(inspect.path, checked, options.onProgress && ((bytes) => options.onProgress!(bytes, totalBytes, checked.rows)));
      scan.catch(() => stop.abort());
      const [loaded, scanned] = await Promise.allSettled([adapter.bulkLoadCsv(connection, { ...load, open: open(checker(true, false)), signal: stop.signal }), scan]);
      if (scanned.status === 'rejected') throw scanned.reason;
      if (loaded.status === 'rejected') throw loaded.reason;
      rows = loaded.value.rows;
    } else {
      checked = checker(true, true);
      progressed = checked;
      rows = (await adapter.bulkLoadCsv(connection, { ...load, open: open(checked) })).rows;
    }
    if (rows !== checked.rows) {
      throw new SeedError(`The database read ${rows} rows but smelt counted ${checked.rows}`, { file: node.path }, 'The file\'s quoting is read differently by the two: please report it with the file.');
    }
    return { rows, fileHash: digest.digest().hash };
  });
}

/**
 * Checks a file the database reads itself, through one reused 1 MB buffer: with a stream's fresh
 * buffer per chunk (110 per 1M rows, each faulted in and later freed) DuckDB's load on the
 * other core took 0.05 to 0.1 s longer (bench/README.md, P3).
 */
async function checkFile(path: string, checker: CsvCheckStream, onProgress?: (bytes: number) => void): Promise<void> {
  const file = await openFile(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let bytes = 0; ; ) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      checker.checkChunk(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
      onProgress?.(bytes);
    }
    checker.checkEnd();
  } finally {
    await file.close();
  }
}

function toCsvColumn(column: SeedColumn): CsvColumn {
  return { name: column.name, type: column.override?.sql ?? SQL_TYPE[column.kind ?? 'text'] };
}

const NOTHING_FITS = (): boolean => false;

/**
 * The byte checks for each column: a configured type's values must fit it; an inferred type's
 * values must fit it, or (with `widen`) widen it. An inferred column that had no values in the
 * sample is text only if it never gets one, so its first value "does not fit".
 */
function checksFor(shape: CsvShape, configFile: string, widen = false): (CsvCheck | undefined)[] {
  return shape.columns.map((column) => {
    if (column.override) {
      const match = column.override.kind && kindMatcher(column.override.kind, true);
      return match ? { match, expected: column.override.sql, configuredIn: configFile } : undefined;
    }
    const inference = new ColumnInference();
    inference.kind = column.kind;
    const widening = widen ? { widen: inference } : {};
    if (column.kind === undefined) return shape.complete ? undefined : { match: NOTHING_FITS, expected: 'text', ...widening };
    const match = kindMatcher(column.kind);
    return match ? { match, expected: SQL_TYPE[column.kind], ...widening } : undefined;
  });
}

/** The whole file's column types, from a byte scan that widens instead of failing. */
async function scanTypes(shape: CsvShape, delimiter: string, header: boolean, inspect: InspectOptions): Promise<CsvShape> {
  const checks = checksFor(shape, inspect.configFile, true);
  const scan = new CsvCheckStream({ file: inspect.file, delimiter, columns: shape.columns.map((c) => c.name), header, emit: false, checks });
  await pipeline(createReadStream(inspect.path, { highWaterMark: 1 << 20 }), scan, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const columns = shape.columns.map((column, i) => {
    const kind = checks[i]?.widen?.kind;
    return kind === undefined ? column : { ...column, kind };
  });
  return { ...shape, columns, complete: true, rows: scan.rows };
}

function tableColumns(columns: readonly SeedColumn[]): { name: string; type: string }[] {
  return columns.map((c) => ({ name: c.name, type: toCsvColumn(c).type }));
}

function sameTypes(a: readonly SeedColumn[], b: readonly SeedColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => toCsvColumn(c).type === toCsvColumn(b[i]!).type);
}

/**
 * What the user sees when the database rejected the file and csv-parse found nothing wrong (a
 * value outside a column type smelt does not check itself, such as numeric(5,2) or uuid).
 */
function toSeedError(error: unknown, file: string): unknown {
  const system = error as NodeJS.ErrnoException;
  if (error instanceof Error && typeof system.code === 'string' && system.syscall) {
    return new SeedError(`Cannot read ${file}: ${system.code === 'ENOENT' ? 'the file was removed while smelt was loading it' : error.message}`, { file }, undefined, { cause: error });
  }
  if (!(error instanceof SmeltError) || error instanceof SeedError) return error;
  const detail = [error.message, String((error.cause as { where?: unknown } | undefined)?.where ?? '')].join(' ');
  const line = /line:? (\d+)/i.exec(detail);
  const column = /column ['"]?([^\s'":,]+)/.exec(detail);
  return new SeedError(
    `The database rejected the file${column && !error.message.includes(`'${column[1]}'`) ? ` (column '${column[1]}')` : ''}: ${error.message}`,
    { file, ...(line ? { line: Number(line[1]) } : {}) },
    error.hint ?? 'Check the values of that column against its type in column_types.',
    { cause: error },
  );
}
