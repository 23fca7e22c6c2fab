import { describe, expect, it } from 'vitest';
import { ChangeDecoder } from './change-decoder.js';
import { decodeMessage, lsnToNumber, lsnToText, pgTimeToMs, UNCHANGED_TOAST } from './pgoutput.js';
import { TYPE, UNAVAILABLE_VALUE } from './pg-values.js';

/** Writes pgoutput (proto_version 1) messages, as the server would. */
class Message {
  private parts: Buffer[] = [];
  constructor(code: string) {
    this.byte(code.charCodeAt(0));
  }
  byte(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  char(c: string): this {
    return this.byte(c.charCodeAt(0));
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  string(s: string): this {
    this.parts.push(Buffer.from(`${s}\0`, 'utf8'));
    return this;
  }
  tuple(values: (string | null | typeof UNCHANGED_TOAST)[]): this {
    this.int16(values.length);
    for (const v of values) {
      if (v === null) this.char('n');
      else if (v === UNCHANGED_TOAST) this.char('u');
      else {
        const bytes = Buffer.from(v, 'utf8');
        this.char('t').int32(bytes.length);
        this.parts.push(bytes);
      }
    }
    return this;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** 2024-01-02 03:04:05.678 UTC in pgoutput's clock (µs since 2000-01-01). */
const COMMIT_US = BigInt(Date.UTC(2024, 0, 2, 3, 4, 5, 678) - Date.UTC(2000, 0, 1)) * 1000n;

const begin = (xid: number) => new Message('B').int64(0x16b3748n).int64(COMMIT_US).int32(xid).bytes;
const commit = (end: bigint) => new Message('C').byte(0).int64(end - 8n).int64(end).int64(COMMIT_US).bytes;
const relation = (id: number, identity = 'd') =>
  new Message('R').int32(id).string('shop').string('customers').char(identity).int16(4)
    .byte(1).string('id').int32(TYPE.int4).int32(-1)
    .byte(0).string('name').int32(25).int32(-1)
    .byte(0).string('signup').int32(TYPE.date).int32(-1)
    .byte(0).string('notes').int32(25).int32(-1).bytes;
const insert = (id: number, row: (string | null)[]) => new Message('I').int32(id).char('N').tuple(row).bytes;

describe('pgoutput messages', () => {
  it('decodes begin, relation, insert, update, delete, truncate and commit', () => {
    expect(decodeMessage(begin(42))).toEqual({ tag: 'begin', finalLsn: 0x16b3748n, commitTime: COMMIT_US, xid: 42 });
    expect(pgTimeToMs(COMMIT_US)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const rel = decodeMessage(relation(7));
    expect(rel).toMatchObject({ tag: 'relation', relation: { id: 7, schema: 'shop', name: 'customers', replicaIdentity: 'd' } });
    expect(rel.tag === 'relation' && rel.relation.columns.map((c) => [c.name, c.typeOid, c.key])).toEqual([['id', 23, true], ['name', 25, false], ['signup', 1082, false], ['notes', 25, false]]);
    expect(decodeMessage(insert(7, ['1', 'Ada', '2024-01-01', null]))).toEqual({ tag: 'insert', relationId: 7, row: ['1', 'Ada', '2024-01-01', null] });
    const update = new Message('U').int32(7).char('K').tuple(['1', null, null, null]).char('N').tuple(['10', 'Ada', '2024-01-01', UNCHANGED_TOAST]).bytes;
    expect(decodeMessage(update)).toEqual({ tag: 'update', relationId: 7, old: { kind: 'key', row: ['1', null, null, null] }, row: ['10', 'Ada', '2024-01-01', UNCHANGED_TOAST] });
    expect(decodeMessage(new Message('D').int32(7).char('O').tuple(['1', 'Ada', null, 'x']).bytes)).toEqual({ tag: 'delete', relationId: 7, old: { kind: 'full', row: ['1', 'Ada', null, 'x'] } });
    expect(decodeMessage(new Message('T').int32(2).byte(1).int32(7).int32(8).bytes)).toEqual({ tag: 'truncate', relationIds: [7, 8], cascade: true, restartIdentity: false });
    expect(decodeMessage(commit(0x16b3800n))).toMatchObject({ tag: 'commit', endLsn: 0x16b3800n });
    expect(decodeMessage(new Message('O').int64(1n).string('origin').bytes)).toEqual({ tag: 'other', code: 'O' });
  });

  it('reads text values as UTF-8 and refuses a message cut short', () => {
    expect(decodeMessage(insert(7, ['1', 'Zoë “quoted”', null, null]))).toMatchObject({ row: ['1', 'Zoë “quoted”', null, null] });
    expect(() => decodeMessage(insert(7, ['1', 'Ada', null, null]).subarray(0, 12))).toThrow(/shorter/);
  });

  it('converts LSNs both ways', () => {
    expect(lsnToNumber('16/B374D848')).toBe(0x16b374d848);
    expect(lsnToText(0x16b374d848)).toBe('16/B374D848');
    expect(lsnToText(lsnToNumber('0/0'))).toBe('0/0');
  });
});

describe('change decoder', () => {
  const decoder = () => new ChangeDecoder({ tables: new Map([['shop.customers', ['id']]]), database: 'ops', name: 'slot', now: () => 1 });
  const run = (d: ChangeDecoder, messages: [string, Buffer][]) => messages.flatMap(([lsn, data]) => d.push(lsn, data));

  it('turns changes into Debezium events with the LSN, commit time and xid', () => {
    const d = decoder();
    const events = run(d, [
      ['0/100', begin(900)], ['0/100', relation(7)], ['0/100', insert(7, ['1', 'Ada', '2024-01-01', null])], ['0/180', commit(0x200n)],
    ]);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.table).toBe('shop.customers');
    expect(event!.envelope).toMatchObject({
      op: 'c', before: null, after: { id: 1, name: 'Ada', signup: 19723, notes: null }, ts_ms: 1,
      source: { connector: 'postgresql', db: 'ops', schema: 'shop', table: 'customers', lsn: 0x100, txId: 900, ts_ms: Date.UTC(2024, 0, 2, 3, 4, 5, 678), snapshot: 'false' },
    });
    expect(d.lastCommitEnd).toBe(0x200n);
    expect(d.transactions).toBe(1);
    expect(d.inTransaction).toBe(false);
  });

  it('sends a primary-key update as a delete of the old key and a create of the new one', () => {
    const d = decoder();
    const update = new Message('U').int32(7).char('K').tuple(['1', null, null, null]).char('N').tuple(['10', 'Ada', null, null]).bytes;
    const events = run(d, [['0/1', begin(1)], ['0/1', relation(7)], ['0/2', update]]);
    expect(events.map((e) => [e.envelope.op, e.envelope.before, e.envelope.after])).toEqual([
      ['d', { id: 1, name: null, signup: null, notes: null }, null],
      ['c', null, { id: 10, name: 'Ada', signup: null, notes: null }],
    ]);
  });

  it('keeps the full old row of REPLICA IDENTITY FULL as before, and fills unchanged TOAST values from it', () => {
    const d = decoder();
    const update = new Message('U').int32(7).char('O').tuple(['1', 'Ada', null, 'long text']).char('N').tuple(['1', 'Ada L.', null, UNCHANGED_TOAST]).bytes;
    const [event] = run(d, [['0/1', begin(1)], ['0/1', relation(7, 'f')], ['0/2', update]]);
    expect(event!.envelope.op).toBe('u');
    expect(event!.envelope.before).toEqual({ id: 1, name: 'Ada', signup: null, notes: 'long text' });
    expect(event!.envelope.after).toEqual({ id: 1, name: 'Ada L.', signup: null, notes: 'long text' });
    expect(event!.unavailable).toBe(false);
  });

  it("without the old row, an unchanged TOAST value is Debezium's placeholder, and flagged", () => {
    const d = decoder();
    const update = new Message('U').int32(7).char('N').tuple(['1', 'Ada L.', null, UNCHANGED_TOAST]).bytes;
    const [event] = run(d, [['0/1', begin(1)], ['0/1', relation(7)], ['0/2', update]]);
    expect(event!.envelope).toMatchObject({ op: 'u', before: null, after: { notes: UNAVAILABLE_VALUE } });
    expect(event!.unavailable).toBe(true);
  });

  it('sends deletes with the key, truncates per table, and skips tables no source captures', () => {
    const d = decoder();
    const other = new Message('R').int32(8).string('shop').string('audit').char('d').int16(1).byte(1).string('id').int32(TYPE.int4).int32(-1).bytes;
    const events = run(d, [
      ['0/1', begin(1)], ['0/1', relation(7)], ['0/1', other],
      ['0/2', new Message('D').int32(7).char('K').tuple(['3', null, null, null]).bytes],
      ['0/3', insert(8, ['5'])],
      ['0/4', new Message('T').int32(2).byte(0).int32(7).int32(8).bytes],
      ['0/5', commit(0x10n)],
    ]);
    expect(events.map((e) => [e.envelope.op, e.envelope.before])).toEqual([['d', { id: 3, name: null, signup: null, notes: null }], ['t', null]]);
    expect(d.skipped).toBe(2);
  });
});
