import { withConnection, type Adapter, type Connection } from '../adapters/adapter.js';
import { loadsRelation, type CdcSource } from '../cdc/cdc-source.js';
import { CHANGE_LOG_COLUMNS as C, createChangeLog, createLoads, createStaging, insertBatch, mergeStaging, timestampLiteral } from '../cdc/change-log.js';
import { eventId, readEnvelope } from '../cdc/debezium.js';
import { jsonSqlFor } from '../cdc/json-sql.js';
import { batchRow } from '../cdc/load-changes.js';
import { SmeltError } from '../errors.js';
import type { RelationName } from '../manifest/types.js';
import { tempIdentifier } from '../materializations/temp-name.js';
import { lockedTransaction } from '../runner/write-lock.js';

/** What one batch did to one change log. */
export interface AppendStats {
  events: number;
  newEvents: number;
  /** Already in the change log: delivered again after a capture stopped before advancing its slot. */
  duplicates: number;
  maxLsn: number | null;
  maxTsMs: number | null;
}

interface Pending {
  source: CdcSource;
  staging: RelationName;
  insert: string;
  merge: string;
  seq: number;
  rows: Record<string, unknown>[];
  stats: AppendStats;
  columns: string[];
  created: boolean;
}

/**
 * Appends captured change events to the change logs of core/cdc (the same table, event rows and
 * event identity as `smelt ingest`), all of them in one warehouse transaction under the change
 * logs' load locks. Events are staged in chunks and merged once at the end: an event the change
 * log already holds (same position and content) is not added again.
 */
export class ChangeLogWriter {
  private readonly pending = new Map<string, Pending>();

  private constructor(private readonly adapter: Adapter, private readonly connection: Connection, private readonly file: string, private readonly chunk: number) {}

  /** Runs fn with a writer inside one transaction; what fn added is committed when it returns. */
  static async within<T>(adapter: Adapter, sources: readonly CdcSource[], file: string, chunk: number, fn: (writer: ChangeLogWriter) => Promise<T>): Promise<T> {
    const dialect = adapter.dialect;
    const logs = sources.map((s) => `cdc load ${dialect.relation(s.relation)}`).sort();
    return withConnection(adapter, (connection) =>
      lockedTransaction(adapter, connection, logs[0]!, async () => {
        for (const name of logs.slice(1)) await adapter.lockForTransaction?.(connection, name);
        const writer = new ChangeLogWriter(adapter, connection, file, chunk);
        for (const source of sources) await writer.prepare(source);
        return fn(writer);
      }),
    );
  }

  /** Adds Debezium envelopes of one source (in the order they happened). */
  async add(source: CdcSource, envelopes: readonly Record<string, unknown>[], columns: readonly string[]): Promise<void> {
    const pending = this.pending.get(source.uniqueId);
    if (!pending) throw new Error(`${source.name} was not prepared for this batch`);
    if (pending.columns.length === 0) pending.columns = [...columns];
    for (const envelope of envelopes) {
      const result = readEnvelope(envelope, { primaryKey: source.config.primary_key });
      if (result.kind !== 'event') {
        const reason = result.kind === 'invalid' ? result.reason : result.kind;
        throw new SmeltError(`A captured change of ${source.name} cannot be stored: ${reason}`, { file: source.path, node: source.uniqueId }, 'Check that primary_key names the table\'s key columns.');
      }
      const event = result.event;
      pending.stats.events++;
      if (event.lsn !== null) pending.stats.maxLsn = Math.max(pending.stats.maxLsn ?? event.lsn, event.lsn);
      if (event.sourceTsMs !== null) pending.stats.maxTsMs = Math.max(pending.stats.maxTsMs ?? event.sourceTsMs, event.sourceTsMs);
      pending.rows.push(batchRow(event, eventId(event), ++pending.seq, this.file, null, source));
      if (pending.rows.length >= this.chunk) await this.flush(pending);
    }
  }

  /**
   * Merges what was staged into the change logs and records the batch in smelt_cdc_loads (with
   * `record: 'always'` also for a source without events: an initial snapshot of an empty table).
   */
  async finish(checksum: string, record: 'always' | 'with-events' = 'with-events', now = new Date()): Promise<Map<string, AppendStats>> {
    const dialect = this.adapter.dialect;
    const loadedAt = timestampLiteral(now);
    const stats = new Map<string, AppendStats>();
    for (const pending of this.pending.values()) {
      await this.flush(pending);
      if (pending.stats.events > 0 || record === 'always') {
        const merged = pending.stats.events > 0 ? (await this.connection.execute(pending.merge.replace('__SMELT_LOADED_AT__', loadedAt))).rowsAffected ?? 0 : 0;
        pending.stats.newEvents = merged;
        pending.stats.duplicates = pending.stats.events - merged;
        await this.connection.query(
          `insert into ${dialect.relation(loadsRelation(pending.source))} (source, file, checksum, events, new_events, duplicates, rejected, skipped, max_lsn, max_ts_ms, columns, loaded_at)
           values ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9, ${loadedAt})`,
          [pending.source.uniqueId, this.file, checksum, pending.stats.events, merged, pending.stats.duplicates, pending.stats.maxLsn, pending.stats.maxTsMs, JSON.stringify(pending.columns)],
        );
      }
      if (pending.created) await this.connection.execute(dialect.drop(pending.staging, 'table'));
      stats.set(pending.source.uniqueId, pending.stats);
    }
    return stats;
  }

  /** The change log, its loads table and a staging table exist; the next sequence number is known. */
  private async prepare(source: CdcSource): Promise<void> {
    const { adapter, connection } = this;
    const dialect = adapter.dialect;
    const json = jsonSqlFor(dialect);
    const loads = loadsRelation(source);
    // Shared by the sources kept in the schema: another process may be creating them right now.
    const ensure = async (name: string, exists: () => Promise<boolean>, create: () => Promise<unknown>) => {
      if (await exists()) return;
      await adapter.lockForTransaction?.(connection, name);
      if (!(await exists())) await create();
    };
    await ensure(`cdc schema ${source.relation.schema}`, async () => (await connection.query('select 1 from information_schema.schemata where schema_name = $1', [source.relation.schema])).length > 0, () => connection.execute(dialect.createSchema(source.relation.schema, source.relation.database)));
    for (const statement of createChangeLog(dialect, json, source)) await connection.execute(statement);
    await ensure(`cdc loads ${dialect.relation(loads)}`, async () => (await adapter.getRelation(connection, loads)) !== undefined, () => connection.execute(createLoads(dialect, json, loads)));
    const [top] = await connection.query<{ seq: number | bigint | null }>(`select max(${dialect.quote(C.seq)}) as seq from ${dialect.relation(source.relation)}`);
    const staging = { ...source.relation, identifier: tempIdentifier(`${source.relation.identifier}__capture`) };
    this.pending.set(source.uniqueId, {
      source,
      staging,
      insert: insertBatch(dialect, json, source, staging),
      merge: mergeStaging(dialect, json, source, staging, '__SMELT_LOADED_AT__'),
      seq: Number(top?.seq ?? 0),
      rows: [],
      stats: { events: 0, newEvents: 0, duplicates: 0, maxLsn: null, maxTsMs: null },
      columns: [],
      created: false,
    });
  }

  private async flush(pending: Pending): Promise<void> {
    if (pending.rows.length === 0) return;
    if (!pending.created) {
      const dialect = this.adapter.dialect;
      await this.connection.execute(dialect.drop(pending.staging, 'table', { ifExists: true }));
      await this.connection.execute(createStaging(dialect, jsonSqlFor(dialect), pending.source, pending.staging));
      pending.created = true;
    }
    const rows = pending.rows;
    pending.rows = [];
    await this.connection.query(pending.insert, [JSON.stringify(rows)]);
  }
}
