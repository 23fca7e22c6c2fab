import type { Adapter } from '../adapters/adapter.js';
import { openReplicationSource, type ReplicationSource } from '../adapters/replication.js';
import { loadsRelation } from '../cdc/cdc-source.js';
import { ConfigError, DatabaseError, SmeltError } from '../errors.js';
import type { CaptureGroup, CapturedSource } from './capture-config.js';
import { ChangeDecoder, envelope, type CapturedEvent } from './change-decoder.js';
import { ChangeLogWriter, type AppendStats } from './change-log-writer.js';
import { lsnToNumber, lsnToText } from './pgoutput.js';
import { debeziumValue } from './pg-values.js';
import { checkServer, checkSlot, checkTables, ensurePublication, publicationState, qualified, slotInfo, type SlotInfo, type TableInfo } from './source-checks.js';

/** Runs fn on the warehouse: opened (and locked) per batch by `smelt capture`, already open in `smelt build`. */
export type WarehouseAccess = <T>(fn: (adapter: Adapter) => Promise<T>) => Promise<T>;

export interface SlotCaptureOptions {
  group: CaptureGroup;
  warehouse: WarehouseAccess;
  /** pgoutput messages per batch (whole transactions are never split: one may make a batch larger). */
  batchSize?: number;
  /** Rows fetched from the slot or a table, and events sent to the warehouse, at a time. */
  chunkSize?: number;
  /** Drop the slot and the change logs, and start again from a new snapshot. */
  fullRefresh?: boolean;
  log?(message: string): void;
  warn?(message: string, hint?: string): void;
  /** For crash tests: called once a batch is committed to the change logs, before the slot is advanced. */
  afterAppend?(): void;
  /**
   * Seconds to wait for the slot when another session holds it (default 30): a capture killed
   * mid-read leaves its server session running until that read ends.
   */
  slotWaitSeconds?: number;
}

export interface BatchReport {
  kind: 'snapshot' | 'changes' | 'idle';
  /** The slot's position before and after the batch. */
  from: string;
  to: string;
  transactions: number;
  /** Change events for the captured tables (snapshot rows for a snapshot). */
  events: number;
  /** Changes to other tables of the publication. */
  skipped: number;
  /** Events carrying Debezium's placeholder for an unchanged TOASTed value. */
  unavailable: number;
  /** Per source (unique id). */
  sources: Map<string, AppendStats>;
  /** The batch stopped at --batch-size: more is waiting. */
  more: boolean;
  seconds: number;
}

/** Another process holds the slot's capture lock. */
export class SlotBusyError extends DatabaseError {}

const DEFAULT_BATCH = 10_000;
const DEFAULT_CHUNK = 2_000;
const PEEK = `select lsn::text as lsn, data from pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4)`;

/**
 * Live capture of one slot's sources (core/capture/README.md). The slot is read with
 * `pg_logical_slot_peek_binary_changes` (pgoutput), which leaves it where it is; the events go
 * to the change logs in one warehouse transaction; only after that commits is the slot advanced
 * (`pg_replication_slot_advance`). A crash in between delivers the batch again, and the change
 * logs' event identity drops what they already hold: nothing is lost and nothing is doubled.
 */
export class SlotCapture {
  private constructor(
    private readonly db: ReplicationSource,
    private readonly options: SlotCaptureOptions,
    private readonly tables: Map<string, TableInfo>,
  ) {}

  get group(): CaptureGroup {
    return this.options.group;
  }

  /** Connects, checks, creates what create_slot allows, and takes the initial snapshot when the slot is new. */
  static async open(options: SlotCaptureOptions): Promise<{ capture: SlotCapture; snapshot?: BatchReport }> {
    const { group } = options;
    const log = options.log ?? (() => undefined);
    const db = await openReplicationSource(group.connection);
    try {
      const deadline = Date.now() + (options.slotWaitSeconds ?? 30) * 1000;
      for (let attempt = 0; !(await db.tryLock(`${group.connection.database}/${group.slot}`)); attempt++) {
        if (Date.now() >= deadline) {
          throw new SlotBusyError(`Slot '${group.slot}' on ${db.where} is being read by another smelt capture or build`, { file: group.file, line: group.line }, 'A slot has one reader at a time: let that one keep the change logs up to date, or stop it first.');
        }
        if (attempt === 2) log(`Waiting for slot ${group.slot}: another session holds it`);
        await sleep(500);
      }
      await checkServer(db, group);
      const tables = await checkTables(db, group);
      await ensurePublication(db, group, log);
      const capture = new SlotCapture(db, options, tables);
      let slot = await slotInfo(db, group.slot);
      if (slot) checkSlot(slot, group, db.where);

      if (options.fullRefresh) {
        if (!group.createSlot) throw new ConfigError('--full-refresh takes a new snapshot from a new slot, so it needs create_slot: true', { file: group.file, line: group.line });
        if (slot) await capture.dropSlot();
        slot = undefined;
        await options.warehouse((adapter) => resetChangeLogs(adapter, group));
        log(`Dropped slot ${group.slot} and the change logs of ${group.sources.map((s) => s.source.name).join(', ')}`);
      } else if (slot && group.snapshot === 'initial') {
        slot = await capture.checkSnapshotTaken(slot);
      }
      if (slot) return { capture };
      if (!group.createSlot) {
        throw new ConfigError(
          `Slot '${group.slot}' does not exist on ${db.where}`,
          { file: group.file, line: group.line },
          group.snapshot === 'initial'
            ? 'Set create_slot: true under capture: so that smelt creates it with a consistent initial snapshot.'
            : `Set create_slot: true, or run SELECT pg_create_logical_replication_slot('${group.slot}', 'pgoutput');`,
        );
      }
      if (group.snapshot === 'never') {
        await db.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [group.slot]);
        log(`Created slot ${group.slot} (no snapshot: changes from now on)`);
        return { capture };
      }
      return { capture, snapshot: await capture.createWithSnapshot() };
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /**
   * One batch: the changes committed up to now (at most --batch-size messages, in whole
   * transactions), appended to the change logs in one transaction, then the slot advanced.
   */
  async poll(): Promise<BatchReport> {
    const started = performance.now();
    const { group } = this.options;
    const [position] = await this.db.query<{ upto: string; confirmed: string | null }>(
      `select pg_current_wal_flush_lsn()::text as upto, (select confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1) as confirmed`,
      [group.slot],
    );
    if (!position?.confirmed) throw new DatabaseError(`Slot '${group.slot}' is gone from ${this.db.where}`, { file: group.file, line: group.line }, 'Something dropped it while smelt was reading it: run smelt capture again (with create_slot: true it starts over with a new snapshot after --full-refresh).');
    const { upto, confirmed } = position as { upto: string; confirmed: string };
    const publication = `"${group.publication.replaceAll('"', '""')}"`;
    const report: BatchReport = { kind: 'idle', from: confirmed, to: confirmed, transactions: 0, events: 0, skipped: 0, unavailable: 0, sources: new Map(), more: false, seconds: 0 };

    // Most polls find nothing: ask for one transaction first, so the warehouse is only opened for work.
    const [probe] = await this.peek(`select count(*)::int as n from (${PEEK}) as changes`, [group.slot, upto, 1, publication]);
    if (Number(probe?.n ?? 0) === 0) {
      // Nothing the publication covers was committed before `upto`: the slot may move past it.
      report.to = (await this.advance(upto, confirmed)) ?? confirmed;
      report.seconds = (performance.now() - started) / 1000;
      return report;
    }

    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    const chunk = this.options.chunkSize ?? DEFAULT_CHUNK;
    const decoder = this.decoder();
    const bySource = this.sourcesByTable();
    let messages = 0;
    let target = upto;
    report.kind = 'changes';
    report.sources = await this.options.warehouse((adapter) =>
      ChangeLogWriter.within(adapter, group.sources.map((s) => s.source), captureFile(group), chunk, async (writer) => {
        await this.stream(PEEK, [group.slot, upto, batchSize, publication], chunk, async (rows) => {
          messages += rows.length;
          const events = new Map<CapturedSource, CapturedEvent[]>();
          for (const row of rows) {
            for (const event of decoder.push(row.lsn as string, hexBytes(row.data as string))) {
              const captured = bySource.get(event.table)!;
              const list = events.get(captured);
              if (list) list.push(event);
              else events.set(captured, [event]);
              if (event.unavailable) report.unavailable++;
              report.events++;
            }
          }
          for (const [captured, list] of events) await writer.add(captured.source, list.map((e) => e.envelope), this.columnNames(captured));
        });
        if (decoder.inTransaction) throw new Error(`slot ${group.slot} returned part of a transaction`);
        report.more = messages >= batchSize;
        const end = decoder.lastCommitEnd === undefined ? undefined : lsnToText(decoder.lastCommitEnd);
        // Cut short by the batch size: only up to the last whole transaction read.
        if (report.more && end) target = end;
        else if (end && lsnToNumber(end) > lsnToNumber(upto)) target = end;
        return writer.finish(`changes ${confirmed}..${target}`);
      }),
    );
    report.transactions = decoder.transactions;
    report.skipped = decoder.skipped;
    this.options.afterAppend?.();
    report.to = (await this.advance(target, confirmed)) ?? confirmed;
    if (report.unavailable > 0) {
      this.options.warn?.(
        `${report.unavailable} change${report.unavailable === 1 ? '' : 's'} arrived without a large (TOASTed) value the update left unchanged; stored as __debezium_unavailable_value`,
        `Run ALTER TABLE ... REPLICA IDENTITY FULL on ${this.tablesWithDefaultIdentity() || 'the table'} so that updates carry the whole old row.`,
      );
    }
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Drops the slot (and the publication, when smelt manages them): `smelt capture --drop-slot`. */
  static async drop(group: CaptureGroup, log: (message: string) => void): Promise<void> {
    const db = await openReplicationSource(group.connection);
    try {
      if (!(await db.tryLock(`${group.connection.database}/${group.slot}`))) {
        throw new SlotBusyError(`Slot '${group.slot}' on ${db.where} is being read by a smelt capture`, { file: group.file, line: group.line }, 'Stop it first (Ctrl-C, or SIGTERM).');
      }
      const dropped = await db.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`, [group.slot]);
      log(dropped.length > 0 ? `Dropped slot ${group.slot} on ${db.where}` : `Slot ${group.slot} does not exist on ${db.where}`);
      if (group.createSlot) {
        await db.query(`drop publication if exists "${group.publication.replaceAll('"', '""')}"`);
        log(`Dropped publication ${group.publication}`);
      }
    } finally {
      await db.close();
    }
  }

  /** `smelt capture --check`: what is in place and what is not, without changing anything. */
  static async check(group: CaptureGroup): Promise<string[]> {
    const db = await openReplicationSource(group.connection);
    try {
      await checkServer(db, group);
      const tables = await checkTables(db, group);
      const lines = [`${db.where}: wal_level=logical, the user may use replication slots`];
      for (const [name, table] of tables) lines.push(`${name}: ${table.columns.length} columns, REPLICA IDENTITY ${({ d: 'DEFAULT (primary key)', f: 'FULL', i: 'USING INDEX' } as Record<string, string>)[table.replicaIdentity] ?? table.replicaIdentity}`);
      const pub = await publicationState(db, group);
      if (!pub.exists) lines.push(`publication ${group.publication}: missing${group.createSlot ? ' (capture creates it)' : ' (create it, or set create_slot: true)'}`);
      else if (pub.missing.length > 0) lines.push(`publication ${group.publication}: without ${pub.missing.join(', ')}${group.createSlot ? ' (capture adds them)' : ''}`);
      else lines.push(`publication ${group.publication}: includes every captured table${pub.unpublished.length ? `, but does not publish ${pub.unpublished.join(', ')}` : ''}`);
      const slot = await slotInfo(db, group.slot);
      if (slot) {
        checkSlot(slot, group, db.where);
        const [lag] = await db.query<{ bytes: string }>(`select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text as bytes`, [slot.confirmedFlush ?? slot.restartLsn]);
        lines.push(`slot ${group.slot}: at ${slot.confirmedFlush}, ${Number(lag?.bytes ?? 0).toLocaleString('en-US')} bytes of WAL behind${slot.activePid ? `, in use by server pid ${slot.activePid}` : ''}`);
      } else {
        lines.push(`slot ${group.slot}: missing${group.createSlot ? ` (capture creates it${group.snapshot === 'initial' ? ' and takes the initial snapshot' : ''})` : ''}`);
      }
      return lines;
    } finally {
      await db.close();
    }
  }

  /**
   * A slot that exists but whose initial snapshot the change logs do not have: left by a run that
   * stopped during the snapshot (nothing of it was committed), it is dropped and made again.
   */
  private async checkSnapshotTaken(slot: SlotInfo): Promise<SlotInfo | undefined> {
    const { group } = this.options;
    const state = await this.options.warehouse((adapter) => captureState(adapter, group));
    const lacking = group.sources.filter((s) => !state.get(s.source.uniqueId)?.snapshot);
    if (lacking.length === 0) return slot;
    const started = group.sources.some((s) => state.get(s.source.uniqueId)?.any);
    if (!started && group.createSlot) {
      this.options.log?.(`Slot ${group.slot} exists but its initial snapshot never reached the change logs (a run stopped during it): starting again`);
      await this.dropSlot();
      return undefined;
    }
    throw new ConfigError(
      `${lacking.map((s) => s.source.name).join(', ')} ${lacking.length === 1 ? 'has' : 'have'} no initial snapshot from slot '${group.slot}', which already exists`,
      { file: lacking[0]!.source.path, line: lacking[0]!.line, node: lacking[0]!.source.uniqueId },
      'A snapshot consistent with a slot can only be taken when the slot is created: give the source a slot of its own, set snapshot: never, or start the slot over with smelt capture --full-refresh.',
    );
  }

  private async dropSlot(): Promise<void> {
    await this.db.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`, [this.options.group.slot]);
  }

  /**
   * Creates the slot with an exported snapshot and reads every captured table in it: op r
   * events for all rows as of the slot's start, appended in one warehouse transaction. Their
   * LSN is the slot's restart_lsn (nothing the slot decodes is older) and their ts_ms the time
   * just before it was created, so in the change log they come before every change the slot
   * delivers, including those of transactions still open while it was created.
   */
  private async createWithSnapshot(): Promise<BatchReport> {
    const started = performance.now();
    const { group } = this.options;
    const chunk = this.options.chunkSize ?? DEFAULT_CHUNK;
    const [clock] = await this.db.query<{ ms: string }>(`select floor(extract(epoch from clock_timestamp()) * 1000)::bigint::text as ms`);
    const takenMs = Number(clock!.ms);
    return this.db.createSlotWithSnapshot(group.slot, 'pgoutput', async (created, reader) => {
      const slot = await slotInfo(this.db, group.slot);
      const lsnText = slot?.restartLsn ?? created.consistentPoint;
      const lsn = lsnToNumber(lsnText);
      this.options.log?.(`Created slot ${group.slot} at ${created.consistentPoint}; taking the initial snapshot`);
      let events = 0;
      const sources = await this.options.warehouse((adapter) =>
        ChangeLogWriter.within(adapter, group.sources.map((s) => s.source), captureFile(group), chunk, async (writer) => {
          for (const captured of group.sources) {
            const table = this.tables.get(`${captured.schema}.${captured.table}`)!;
            const sql = `select ${table.columns.map((c) => `"${c.name.replaceAll('"', '""')}"`).join(', ')} from ${qualified(captured.schema, captured.table)}`;
            let first = true;
            await reader.stream(sql, chunk, async (rows) => {
              const envelopes = rows.map((row) => {
                const after = Object.fromEntries(table.columns.map((c) => [c.name, debeziumValue(row[c.name] as string | null, { typeOid: c.baseOid, typmod: c.typmod })]));
                const flag = first ? 'first' : 'true';
                first = false;
                return envelope({
                  op: 'r', before: null, after, lsn, txId: null, commitMs: takenMs, schema: captured.schema, table: captured.table,
                  database: group.connection.database, name: group.slot, snapshot: flag, now: Date.now(),
                });
              });
              events += envelopes.length;
              await writer.add(captured.source, envelopes, this.columnNames(captured));
            });
          }
          return writer.finish(`snapshot ${lsnText}`, 'always');
        }),
      );
      return { kind: 'snapshot', from: lsnText, to: created.consistentPoint, transactions: 0, events, skipped: 0, unavailable: 0, sources, more: false, seconds: (performance.now() - started) / 1000 } satisfies BatchReport;
    });
  }

  private decoder(): ChangeDecoder {
    const { group } = this.options;
    const baseTypes = new Map<number, number>();
    for (const table of this.tables.values()) for (const c of table.columns) if (c.baseOid !== c.typeOid) baseTypes.set(c.typeOid, c.baseOid);
    return new ChangeDecoder({
      tables: new Map(group.sources.map((s) => [`${s.schema}.${s.table}`, s.source.config.primary_key])),
      database: group.connection.database,
      name: group.slot,
      baseTypes,
    });
  }

  private sourcesByTable(): Map<string, CapturedSource> {
    return new Map(this.options.group.sources.map((s) => [`${s.schema}.${s.table}`, s]));
  }

  private columnNames(captured: CapturedSource): string[] {
    return this.tables.get(`${captured.schema}.${captured.table}`)?.columns.map((c) => c.name) ?? [];
  }

  private tablesWithDefaultIdentity(): string {
    return [...this.tables.values()].filter((t) => t.replicaIdentity !== 'f').map((t) => qualified(t.schema, t.table)).join(', ');
  }

  private async peek(sql: string, params: unknown[]) {
    return this.whileSlotBusy(() => this.db.query<{ n: number }>(sql, params));
  }

  private async stream(sql: string, params: unknown[], chunk: number, onRows: (rows: Record<string, unknown>[]) => Promise<void>): Promise<void> {
    await this.whileSlotBusy(() => this.db.stream(sql, params, chunk, onRows));
  }

  /** Runs fn, trying again while the slot is active in another session (one left by a killed capture ends soon). */
  private async whileSlotBusy<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.slotWaitSeconds ?? 30) * 1000;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof SmeltError && /is active for PID/.test(error.message)) || Date.now() >= deadline) throw explainSlotError(error, this.options.group);
        await sleep(250);
      }
    }
  }

  /** Moves the slot to `lsn` (never back); returns where it is now. */
  private async advance(lsn: string, confirmed: string): Promise<string | undefined> {
    if (lsnToNumber(lsn) <= lsnToNumber(confirmed)) return confirmed;
    try {
      const [row] = await this.db.query<{ end_lsn: string }>(`select end_lsn::text as end_lsn from pg_replication_slot_advance($1, $2::pg_lsn)`, [this.options.group.slot, lsn]);
      return row?.end_lsn ?? lsn;
    } catch (error) {
      // Already past it: someone else advanced the slot, which is no loss for these change logs.
      if (error instanceof SmeltError && /cannot advance replication slot/.test(error.message)) return undefined;
      throw explainSlotError(error, this.options.group);
    }
  }
}

/** What the change logs hold from a group's slot: for each source, whether it has the snapshot, and anything at all. */
async function captureState(adapter: Adapter, group: CaptureGroup): Promise<Map<string, { snapshot: boolean; any: boolean }>> {
  const state = new Map<string, { snapshot: boolean; any: boolean }>();
  const connection = await adapter.acquire();
  try {
    for (const { source } of group.sources) {
      const loads = loadsRelation(source);
      if (!(await adapter.getRelation(connection, loads))) {
        state.set(source.uniqueId, { snapshot: false, any: false });
        continue;
      }
      const rows = await connection.query<{ checksum: string }>(`select checksum from ${adapter.dialect.relation(loads)} where source = $1 and file = $2`, [source.uniqueId, captureFile(group)]);
      state.set(source.uniqueId, { snapshot: rows.some((r) => r.checksum.startsWith('snapshot')), any: rows.length > 0 });
    }
  } finally {
    await connection.release();
  }
  return state;
}

/** --full-refresh: the group's change logs and their load records go. */
async function resetChangeLogs(adapter: Adapter, group: CaptureGroup): Promise<void> {
  const connection = await adapter.acquire();
  try {
    await connection.transaction(async () => {
      for (const { source } of group.sources) {
        await connection.execute(adapter.dialect.drop(source.relation, 'table', { ifExists: true }));
        const loads = loadsRelation(source);
        if (await adapter.getRelation(connection, loads)) await connection.query(`delete from ${adapter.dialect.relation(loads)} where source = $1`, [source.uniqueId]);
      }
    });
  } finally {
    await connection.release();
  }
}

/** The `file` that change-log rows and load records of a slot carry. */
export function captureFile(group: CaptureGroup): string {
  return `capture:${group.connection.database}/${group.slot}`;
}

function hexBytes(text: string): Buffer {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
}

function explainSlotError(error: unknown, group: CaptureGroup): unknown {
  if (!(error instanceof SmeltError)) return error;
  if (/is active for PID/.test(error.message)) {
    return new DatabaseError(error.message, { file: group.file, line: group.line }, 'Another consumer (pg_recvlogical, a subscription, Debezium) is reading this slot: a slot has one reader, so give smelt a slot of its own.', { cause: error });
  }
  if (/publication .* does not exist/.test(error.message)) {
    return new DatabaseError(error.message, { file: group.file, line: group.line }, 'The slot was created before the publication: start it over (smelt capture --full-refresh with create_slot: true).', { cause: error });
  }
  return error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
