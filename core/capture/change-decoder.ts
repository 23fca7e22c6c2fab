import { decodeMessage, lsnToNumber, pgTimeToMs, UNCHANGED_TOAST, type RelationInfo, type TupleValue } from './pgoutput.js';
import { debeziumValue, UNAVAILABLE_VALUE, type ColumnType } from './pg-values.js';

/** A Debezium change event (the envelope the PostgreSQL connector sends), for one captured table. */
export interface CapturedEvent {
  /** `schema.table` in the operational database. */
  table: string;
  envelope: Record<string, unknown>;
  /** An unchanged TOASTed value was not sent and stands as Debezium's placeholder. */
  unavailable: boolean;
}

export interface DecoderOptions {
  /** The captured tables (`schema.table`) and the key columns of each. */
  tables: ReadonlyMap<string, readonly string[]>;
  /** source.db and source.name of the events. */
  database: string;
  name: string;
  /** Domain type OIDs to their base types, so a domain over date converts as a date. */
  baseTypes?: ReadonlyMap<number, number>;
  /** The top-level ts_ms (when smelt processed the event: never part of its identity). */
  now?: () => number;
}

export const CONNECTOR_VERSION = 'smelt-capture';

/**
 * Turns the pgoutput messages of a slot, in order, into Debezium change events: inserts (c),
 * updates (u, with the old row as `before` under REPLICA IDENTITY FULL), deletes (d, with the
 * key or the full old row), truncates (t, one per table) and primary-key updates as Debezium
 * sends them, a delete of the old key and a create of the new one. `source.lsn` is the change's
 * position in the WAL, `source.ts_ms` its transaction's commit time, `source.txId` its xid.
 */
export class ChangeDecoder {
  private readonly relations = new Map<number, RelationInfo>();
  private transaction: { xid: number; commitMs: number } | undefined;
  /** End of the last commit seen: the slot may be advanced to it once its events are stored. */
  lastCommitEnd: bigint | undefined;
  transactions = 0;
  /** Changes to tables in the publication that no source captures. */
  skipped = 0;

  constructor(private readonly options: DecoderOptions) {}

  get inTransaction(): boolean {
    return this.transaction !== undefined;
  }

  /** One row of pg_logical_slot_peek_binary_changes: its LSN and its message. */
  push(lsn: string, data: Buffer): CapturedEvent[] {
    const message = decodeMessage(data);
    switch (message.tag) {
      case 'begin':
        this.transaction = { xid: message.xid, commitMs: pgTimeToMs(message.commitTime) };
        return [];
      case 'commit':
        this.transaction = undefined;
        this.lastCommitEnd = message.endLsn;
        this.transactions++;
        return [];
      case 'relation':
        this.relations.set(message.relation.id, message.relation);
        return [];
      case 'insert': {
        const target = this.target(message.relationId);
        if (!target) return [];
        return [this.event(target, lsn, 'c', null, this.image(target.relation, message.row))];
      }
      case 'update': {
        const target = this.target(message.relationId);
        if (!target) return [];
        const full = message.old?.kind === 'full' ? message.old.row : undefined;
        const after = this.image(target.relation, message.row, full);
        if (message.old && !this.sameKey(target, message.old.row, message.row)) {
          return [this.event(target, lsn, 'd', this.image(target.relation, message.old.row), null), this.event(target, lsn, 'c', null, after)];
        }
        return [this.event(target, lsn, 'u', full ? this.image(target.relation, full) : null, after)];
      }
      case 'delete': {
        const target = this.target(message.relationId);
        if (!target) return [];
        return [this.event(target, lsn, 'd', this.image(target.relation, message.old.row), null)];
      }
      case 'truncate':
        return message.relationIds.flatMap((id) => {
          const target = this.target(id);
          return target ? [this.event(target, lsn, 't', null, null)] : [];
        });
      case 'other':
        return [];
    }
  }

  private target(relationId: number): { relation: RelationInfo; table: string; key: readonly string[] } | undefined {
    const relation = this.relations.get(relationId);
    if (!relation) throw new Error(`pgoutput: a change to relation ${relationId} before its Relation message`);
    const table = `${relation.schema}.${relation.name}`;
    const key = this.options.tables.get(table);
    if (!key) {
      this.skipped++;
      return undefined;
    }
    return { relation, table, key };
  }

  private columnType(column: { typeOid: number; typmod: number }): ColumnType {
    return { typeOid: this.options.baseTypes?.get(column.typeOid) ?? column.typeOid, typmod: column.typmod };
  }

  /** A row image; a TOASTed value left unchanged is taken from the full old row when there is one. */
  private image(relation: RelationInfo, row: TupleValue[], old?: TupleValue[]): Image {
    const values: Record<string, unknown> = {};
    let unavailable = false;
    relation.columns.forEach((column, i) => {
      let value = row[i] ?? null;
      if (value === UNCHANGED_TOAST && old && old[i] !== UNCHANGED_TOAST) value = old[i] ?? null;
      if (value === UNCHANGED_TOAST) {
        values[column.name] = UNAVAILABLE_VALUE;
        unavailable = true;
      } else {
        values[column.name] = debeziumValue(value, this.columnType(column));
      }
    });
    return { values, unavailable };
  }

  private sameKey(target: { relation: RelationInfo; key: readonly string[] }, old: TupleValue[], row: TupleValue[]): boolean {
    return target.key.every((name) => {
      const i = target.relation.columns.findIndex((c) => c.name === name);
      return i < 0 || old[i] === UNCHANGED_TOAST || row[i] === UNCHANGED_TOAST || old[i] === row[i];
    });
  }

  private event(target: { table: string; relation: RelationInfo }, lsn: string, op: string, before: Image | null, after: Image | null): CapturedEvent {
    if (!this.transaction) throw new Error('pgoutput: a change outside a transaction');
    return {
      table: target.table,
      unavailable: !!(before?.unavailable || after?.unavailable),
      envelope: envelope({
        op, before: before?.values ?? null, after: after?.values ?? null, lsn: lsnToNumber(lsn), txId: this.transaction.xid, commitMs: this.transaction.commitMs,
        schema: target.relation.schema, table: target.relation.name, database: this.options.database, name: this.options.name,
        snapshot: 'false', now: this.options.now?.() ?? Date.now(),
      }),
    };
  }
}

interface Image {
  values: Record<string, unknown>;
  /** A value stands as Debezium's placeholder for an unchanged TOASTed value. */
  unavailable: boolean;
}


export interface EnvelopeFields {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  lsn: number;
  txId: number | null;
  commitMs: number;
  schema: string;
  table: string;
  database: string;
  name: string;
  /** Debezium's source.snapshot: 'false', or 'first' / 'true' / 'last' for snapshot reads. */
  snapshot: string;
  now: number;
}

/** Debezium's envelope (JSON converter, no schema). */
export function envelope(e: EnvelopeFields): Record<string, unknown> {
  return {
    before: e.before,
    after: e.after,
    source: {
      version: CONNECTOR_VERSION, connector: 'postgresql', name: e.name, ts_ms: e.commitMs, snapshot: e.snapshot,
      db: e.database, schema: e.schema, table: e.table, txId: e.txId, lsn: e.lsn, xmin: null,
    },
    op: e.op,
    ts_ms: e.now,
    transaction: null,
  };
}
