/**
 * PostgreSQL's logical replication protocol (pgoutput, proto_version 1), as the messages that
 * `pg_logical_slot_peek_binary_changes` returns one per row. Pure: bytes in, messages out.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'relation'; relation: RelationInfo }
  | { tag: 'insert'; relationId: number; row: TupleValue[] }
  | { tag: 'update'; relationId: number; old?: { kind: 'key' | 'full'; row: TupleValue[] }; row: TupleValue[] }
  | { tag: 'delete'; relationId: number; old: { kind: 'key' | 'full'; row: TupleValue[] } }
  | { tag: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  /** Origin, type and logical-message messages: nothing to capture. */
  | { tag: 'other'; code: string };

export interface RelationInfo {
  id: number;
  schema: string;
  name: string;
  /** d default, n nothing, f full, i index. */
  replicaIdentity: string;
  columns: RelationColumn[];
}

export interface RelationColumn {
  name: string;
  typeOid: number;
  typmod: number;
  /** Part of the replica identity (the key pgoutput sends for deletes). */
  key: boolean;
}

/** A column's value: its text, SQL NULL, or a TOASTed value the change left as it was (not sent). */
export type TupleValue = string | null | typeof UNCHANGED_TOAST;

export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged toast');

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

export function decodeMessage(data: Buffer): PgOutputMessage {
  const reader = new Reader(data);
  const code = String.fromCharCode(reader.byte());
  switch (code) {
    case 'B':
      return { tag: 'begin', finalLsn: reader.int64(), commitTime: reader.int64(), xid: reader.uint32() };
    case 'C':
      reader.byte(); // flags, unused
      return { tag: 'commit', commitLsn: reader.int64(), endLsn: reader.int64(), commitTime: reader.int64() };
    case 'R': {
      const id = reader.uint32();
      const schema = reader.string() || 'pg_catalog';
      const name = reader.string();
      const replicaIdentity = String.fromCharCode(reader.byte());
      const count = reader.int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = reader.byte();
        columns.push({ name: reader.string(), typeOid: reader.uint32(), typmod: reader.int32(), key: (flags & 1) === 1 });
      }
      return { tag: 'relation', relation: { id, schema, name, replicaIdentity, columns } };
    }
    case 'I': {
      const relationId = reader.uint32();
      reader.expect('N');
      return { tag: 'insert', relationId, row: reader.tuple() };
    }
    case 'U': {
      const relationId = reader.uint32();
      let kind = String.fromCharCode(reader.byte());
      let old: { kind: 'key' | 'full'; row: TupleValue[] } | undefined;
      if (kind === 'K' || kind === 'O') {
        old = { kind: kind === 'K' ? 'key' : 'full', row: reader.tuple() };
        kind = String.fromCharCode(reader.byte());
      }
      if (kind !== 'N') throw new Error(`pgoutput: unexpected '${kind}' in an update message`);
      return { tag: 'update', relationId, ...(old ? { old } : {}), row: reader.tuple() };
    }
    case 'D': {
      const relationId = reader.uint32();
      const kind = String.fromCharCode(reader.byte());
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput: unexpected '${kind}' in a delete message`);
      return { tag: 'delete', relationId, old: { kind: kind === 'K' ? 'key' : 'full', row: reader.tuple() } };
    }
    case 'T': {
      const count = reader.uint32();
      const options = reader.byte();
      const relationIds: number[] = [];
      for (let i = 0; i < count; i++) relationIds.push(reader.uint32());
      return { tag: 'truncate', relationIds, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
    }
    default:
      return { tag: 'other', code };
  }
}

/** A pgoutput timestamp (µs since 2000-01-01) as milliseconds since the Unix epoch. */
export function pgTimeToMs(micros: bigint): number {
  return Number((micros + PG_EPOCH_MICROS) / 1000n);
}

/** `16/B374D848` to a number (exact up to 2^53, 8 PiB of WAL) and back. */
export function lsnToNumber(lsn: string): number {
  const [high, low] = lsn.split('/');
  if (high === undefined || low === undefined) throw new Error(`not an LSN: ${lsn}`);
  return Number((BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`));
}

export function lsnToText(lsn: bigint | number): string {
  const value = BigInt(lsn);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

class Reader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  byte(): number {
    this.need(1);
    return this.data.readUInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const v = this.data.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.data.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  string(): string {
    const end = this.data.indexOf(0, this.offset);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const text = this.data.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }

  expect(code: string): void {
    const got = String.fromCharCode(this.byte());
    if (got !== code) throw new Error(`pgoutput: expected '${code}', got '${got}'`);
  }

  tuple(): TupleValue[] {
    const count = this.int16();
    const values: TupleValue[] = [];
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(this.byte());
      if (kind === 'n') values.push(null);
      else if (kind === 'u') values.push(UNCHANGED_TOAST);
      else if (kind === 't' || kind === 'b') {
        const length = this.int32();
        this.need(length);
        values.push(this.data.toString('utf8', this.offset, this.offset + length));
        this.offset += length;
      } else throw new Error(`pgoutput: unknown column kind '${kind}'`);
    }
    return values;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.data.length) throw new Error('pgoutput: message is shorter than its contents');
  }
}
