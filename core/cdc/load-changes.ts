import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { withConnection, type Adapter, type Connection } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import { tempIdentifier } from '../materializations/temp-name.js';
import { lockedTransaction } from '../runner/write-lock.js';
import { loadsRelation, rejectsRelation, type CdcSource } from './cdc-source.js';
import { CHANGE_LOG_COLUMNS as C, createChangeLog, createLoads, createRejects, createStaging, insertBatch, insertRejects, mergeStaging, timestampLiteral } from './change-log.js';
import { eventId, readEnvelope, type ChangeEvent } from './debezium.js';
import { expandGlobs } from './file-glob.js';
import { jsonSqlFor } from './json-sql.js';
import { openText, readJsonValues, type JsonValue } from './json-values.js';
import { valueCheck } from './value-check.js';

/** A change event that cannot be read, with the file and line it is on. */
export class MalformedEventError extends SmeltError {}

export interface LoadOptions {
  adapter: Adapter;
  source: CdcSource;
  /** Project root: `path:` patterns are relative to it. */
  root: string;
  /** Drop the change log and load every file again. */
  fullRefresh?: boolean;
  /** Events per INSERT (one JSON parameter each). */
  batchSize?: number;
  now?: Date;
  /** Told after each batch: events read so far, and files done of the files to read. */
  onProgress?(events: number, filesDone: number, filesTotal: number): void;
}

export interface LoadReport {
  /** Files read this time, and files skipped because they were loaded before, unchanged. */
  files: number;
  unchangedFiles: number;
  /** Change events read, added to the change log, and already there (redelivered). */
  events: number;
  newEvents: number;
  duplicates: number;
  tombstones: number;
  /** Well-formed events for another table (with `table:`) or logical-decoding messages. */
  skipped: number;
  rejected: number;
  /** Highest source LSN and ts_ms in the change log after the load. */
  highWater: { lsn: number | null; tsMs: number | null };
  statements: string[];
}

const DEFAULT_BATCH = 2000;

/**
 * Loads a CDC source's files into its change log, incrementally and atomically: one
 * transaction, under a lock, per source. A file loaded before with the same checksum is not
 * read again; an event already in the change log (same position and content) is not added
 * again, so loading the same batch twice changes nothing. A malformed event fails the whole
 * load with its file and line (nothing changes), or with `on_error: quarantine` goes to
 * `<table>__rejects` with the reason while the rest loads.
 */
export async function loadChanges(options: LoadOptions): Promise<LoadReport> {
  const { adapter, source, root } = options;
  const dialect = adapter.dialect;
  const json = jsonSqlFor(dialect);
  const now = options.now ?? new Date();
  const loadedAt = timestampLiteral(now);
  const log = dialect.relation(source.relation);
  const loads = loadsRelation(source);
  const rejects = rejectsRelation(source);
  const quarantine = source.config.on_error === 'quarantine';
  const files = expandGlobs(root, source.config.path);
  const report: LoadReport = { files: 0, unchangedFiles: 0, events: 0, newEvents: 0, duplicates: 0, tombstones: 0, skipped: 0, rejected: 0, highWater: { lsn: null, tsMs: null }, statements: [] };

  return withConnection(adapter, (connection) => {
    const execute = async (sql: string) => {
      report.statements.push(sql);
      return connection.execute(sql);
    };
    return lockedTransaction(adapter, connection, `cdc load ${log}`, async () => {
      // The schema and the loads table are shared by the sources kept in the schema: another
      // process loading one of them may be creating them right now.
      const ensure = async (name: string, exists: () => Promise<boolean>, create: () => Promise<unknown>) => {
        if (await exists()) return;
        await adapter.lockForTransaction?.(connection, name);
        if (!(await exists())) await create();
      };
      await ensure(`cdc schema ${source.relation.schema}`, () => schemaExists(connection, source.relation.schema), () => execute(dialect.createSchema(source.relation.schema, source.relation.database)));
      if (options.fullRefresh) {
        await execute(dialect.drop(source.relation, 'table', { ifExists: true }));
        await execute(dialect.drop(rejects, 'table', { ifExists: true }));
      }
      for (const statement of createChangeLog(dialect, json, source)) await execute(statement);
      await ensure(`cdc loads ${dialect.relation(loads)}`, async () => (await adapter.getRelation(connection, loads)) !== undefined, () => execute(createLoads(dialect, json, loads)));
      if (options.fullRefresh) await connection.query(`delete from ${dialect.relation(loads)} where source = $1`, [source.uniqueId]);
      if (quarantine) await execute(createRejects(dialect, json, rejects));

      const [base] = await connection.query<{ seq: number | bigint | null }>(`select max(${dialect.quote(C.seq)}) as seq from ${log}`);
      let seq = Number(base?.seq ?? 0);
      const loaded = new Set(
        (await connection.query<{ file: string; checksum: string }>(`select file, checksum from ${dialect.relation(loads)} where source = $1`, [source.uniqueId]))
          .map((r) => `${r.file}\u0000${r.checksum}`),
      );
      const staging = { ...source.relation, identifier: tempIdentifier(`${source.relation.identifier}__load`) };
      const insert = insertBatch(dialect, json, source, staging);
      const merge = mergeStaging(dialect, json, source, staging, loadedAt);
      const insertReject = insertRejects(dialect, json, rejects, loadedAt);
      await execute(dialect.drop(staging, 'table', { ifExists: true }));
      await execute(createStaging(dialect, json, source, staging));

      for (const file of files) {
        const checksum = await fileChecksum(join(root, file));
        if (loaded.has(`${file}\u0000${checksum}`)) {
          report.unchangedFiles++;
          continue;
        }
        report.files++;
        const eventsBefore = report.events;
        const progress = options.onProgress ? (events: number) => options.onProgress!(eventsBefore + events, files.length > 1 ? report.files - 1 : 0, files.length > 1 ? files.length : 0) : undefined;
        const stats = await loadFile({ connection, source, root, file, insert, insertReject, quarantine, firstSeq: seq, batchSize: options.batchSize ?? DEFAULT_BATCH, ...(progress ? { progress } : {}) });
        seq = stats.lastSeq;
        // One set-based step per file: only events the change log does not hold yet.
        const newEvents = stats.events > 0 ? ((await execute(merge)).rowsAffected ?? 0) : 0;
        if (stats.events > 0) await execute(`delete from ${dialect.relation(staging)}`);
        report.events += stats.events;
        report.newEvents += newEvents;
        report.duplicates += stats.events - newEvents;
        report.tombstones += stats.tombstones;
        report.skipped += stats.skipped;
        report.rejected += stats.rejected;
        await connection.query(
          `insert into ${dialect.relation(loads)} (source, file, checksum, events, new_events, duplicates, rejected, skipped, max_lsn, max_ts_ms, columns, loaded_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ${loadedAt})`,
          [source.uniqueId, file, checksum, stats.events, newEvents, stats.events - newEvents, stats.rejected, stats.skipped + stats.tombstones, stats.maxLsn, stats.maxTsMs, JSON.stringify(stats.columns)],
        );
      }
      await execute(dialect.drop(staging, 'table'));
      const [high] = await connection.query<{ lsn: number | bigint | null; ts: number | bigint | null }>(
        `select max(${dialect.quote(C.lsn)}) as lsn, max(coalesce(${dialect.quote(C.sourceTsMs)}, ${dialect.quote(C.tsMs)})) as ts from ${log}`,
      );
      report.highWater = { lsn: high?.lsn === null || high?.lsn === undefined ? null : Number(high.lsn), tsMs: high?.ts === null || high?.ts === undefined ? null : Number(high.ts) };
      return report;
    });
  });
}

interface FileLoad {
  connection: Connection;
  source: CdcSource;
  root: string;
  file: string;
  insert: string;
  insertReject: string;
  quarantine: boolean;
  firstSeq: number;
  batchSize: number;
  /** Called with the events read from this file so far. */
  progress?(events: number): void;
}

interface FileStats {
  firstSeq: number;
  lastSeq: number;
  events: number;
  tombstones: number;
  skipped: number;
  rejected: number;
  maxLsn: number | null;
  maxTsMs: number | null;
  /** Column names of the row images in the order first seen (for models that declare none). */
  columns: string[];
}

async function loadFile(load: FileLoad): Promise<FileStats> {
  const { connection, source, file } = load;
  const stats: FileStats = { firstSeq: load.firstSeq, lastSeq: load.firstSeq, events: 0, tombstones: 0, skipped: 0, rejected: 0, maxLsn: null, maxTsMs: null, columns: [] };
  const columns = new Set<string>();
  let batch: Record<string, unknown>[] = [];
  let ids = new Set<string>();
  let rejects: Record<string, unknown>[] = [];
  // One batch is sent while the next is read: the database and the parser work at the same time.
  let inFlight: Promise<unknown> = Promise.resolve();
  const flush = async () => {
    await inFlight;
    const events = batch.length > 0 ? JSON.stringify(batch) : undefined;
    const rejected = rejects.length > 0 ? JSON.stringify(rejects) : undefined;
    inFlight = (async () => {
      if (events) await connection.query(load.insert, [events]);
      if (rejected) await connection.query(load.insertReject, [rejected]);
    })();
    // Seen (as a rejection) at the next flush at the latest; never left unhandled meanwhile.
    inFlight.catch(() => undefined);
    batch = [];
    rejects = [];
    ids = new Set();
  };
  const bad = (line: number, reason: string, raw: string) => {
    if (!load.quarantine) {
      throw new MalformedEventError(
        `Malformed change event in ${source.name}: ${reason}`,
        { file, line, node: source.uniqueId },
        `Fix or remove the event, or set on_error: quarantine under cdc: in ${source.path} to load the rest and keep bad events in ${source.relation.identifier}__rejects. Nothing was loaded.`,
      );
    }
    stats.rejected++;
    rejects.push({ reject_id: createHash('sha256').update(`${file}\u0000${line}\u0000${raw}`).digest('hex').slice(0, 32), file, line, reason, raw: raw.length > 10_000 ? `${raw.slice(0, 10_000)}...` : raw });
  };

  const readEvents = async (): Promise<void> => {
    let line = 0;
    try {
      for await (const value of readJsonValues(openText(join(load.root, file)))) {
        line = value.line;
        await readEvent(value);
      }
    } catch (error) {
      // A .gz file that is not gzip, or is cut short: the events before the damage stand.
      if (!isZlibError(error)) throw error;
      bad(line + 1, `the file cannot be read as gzip after line ${line} (${error.message})`, '');
    }
    await flush();
  };
  const unreadableIn = valueChecks(source);
  const readEvent = async (value: JsonValue): Promise<void> => {
    if (value.error !== undefined) {
      bad(value.line, value.error, value.text);
      return;
    }
    const result = readEnvelope(value.value, { primaryKey: source.config.primary_key, table: source.config.table });
    if (result.kind === 'tombstone') stats.tombstones++;
    else if (result.kind === 'skipped') stats.skipped++;
    else if (result.kind === 'invalid') bad(value.line, result.reason, value.text);
    else {
      const event = result.event;
      const unreadable = unreadableIn(event);
      if (unreadable) {
        bad(value.line, unreadable, value.text);
        return;
      }
      stats.events++;
      const id = eventId(event);
      for (const name of Object.keys(event.after ?? event.before ?? {})) columns.add(name);
      if (event.lsn !== null) stats.maxLsn = Math.max(stats.maxLsn ?? event.lsn, event.lsn);
      const ts = event.sourceTsMs ?? event.tsMs;
      if (ts !== null) stats.maxTsMs = Math.max(stats.maxTsMs ?? ts, ts);
      // The same event twice in one batch: the second is a duplicate (the database sees one).
      if (ids.has(id)) return;
      ids.add(id);
      batch.push(batchRow(event, id, ++stats.lastSeq, file, value.line, source));
      if (batch.length >= load.batchSize) {
        await flush();
        load.progress?.(stats.events);
      }
    }
  };

  try {
    await readEvents();
  } finally {
    // Nothing may still run on the connection when the load fails and rolls back.
    await inFlight.catch(() => undefined);
  }
  await inFlight;
  stats.columns = [...columns];
  return stats;
}

/** One event as a row of a batch sent to the staging table (live capture sends the same rows, with no line). */
export function batchRow(event: ChangeEvent, id: string, seq: number, file: string, line: number | null, source: CdcSource): Record<string, unknown> {
  const row: Record<string, unknown> = {
    [C.seq]: seq,
    [C.eventId]: id,
    [C.op]: event.op,
    [C.lsn]: event.lsn,
    [C.tsMs]: event.tsMs,
    [C.sourceTsMs]: event.sourceTsMs,
    [C.txId]: event.txId,
    [C.snapshot]: event.snapshot,
    [C.table]: event.table,
    [C.key]: event.key === null ? null : JSON.stringify(event.key),
    [C.before]: event.before,
    [C.after]: event.after,
    [C.file]: file,
    [C.line]: line,
  };
  source.key.forEach((k, i) => {
    const value = event.key?.[i];
    row[k.name] = value === undefined || value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
  return row;
}

async function schemaExists(connection: Connection, schema: string): Promise<boolean> {
  return (await connection.query('select 1 from information_schema.schemata where schema_name = $1', [schema])).length > 0;
}

async function fileChecksum(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** An error of node's zlib (a .gz file that is not gzip or ends early). */
function isZlibError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}

/**
 * The value checks of a source's typed columns (key first, each column once), built once per
 * load: the first value of an event that its column's declared type cannot read, described.
 */
function valueChecks(source: CdcSource): (event: ChangeEvent) => string | undefined {
  const checks: { name: string; dataType: string; check: (value: unknown) => string | undefined }[] = [];
  for (const column of [...source.key, ...source.columns]) {
    const check = column.dataType ? valueCheck(column.dataType) : undefined;
    if (check && !checks.some((c) => c.name === column.name)) checks.push({ name: column.name, dataType: column.dataType!, check });
  }
  return (event) => {
    for (const { name, dataType, check } of checks) {
      for (const image of [event.after, event.before]) {
        const value = image?.[name];
        const expected = check(value);
        if (expected) return `${name} is ${JSON.stringify(value)}, not ${expected} as its type ${dataType} needs`;
      }
    }
    return undefined;
  };
}
