import { describe, expect, it } from 'vitest';
import { decodeDecimal, eventId, readEnvelope, type ChangeEvent } from './debezium.js';

const options = { primaryKey: ['id'] };
const source = { ts_ms: 1704103200000, snapshot: 'false', schema: 'public', table: 'customers', txId: 700, lsn: 1000 };

function event(value: unknown, opts: { primaryKey: string[]; table?: string } = options): ChangeEvent {
  const result = readEnvelope(value, opts);
  if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
}

describe('readEnvelope', () => {
  it('reads a create, an update and a delete (key from before)', () => {
    const created = event({ before: null, after: { id: 1, name: 'a' }, source, op: 'c', ts_ms: 1704103200100 });
    expect(created).toEqual({ op: 'c', key: [1], before: null, after: { id: 1, name: 'a' }, lsn: 1000, tsMs: 1704103200100, sourceTsMs: 1704103200000, txId: 700, snapshot: false, table: 'public.customers' });
    expect(event({ before: { id: 1 }, after: null, source, op: 'd' }).key).toEqual([1]);
    expect(event({ before: null, after: { id: 2, k: 'x' }, source, op: 'u' }, { primaryKey: ['id', 'k'] }).key).toEqual([2, 'x']);
  });

  it('marks snapshot reads (op r, or source.snapshot) and accepts numbers as strings', () => {
    expect(event({ after: { id: 1 }, source: { ...source, snapshot: 'last', lsn: '1000' }, op: 'r' })).toMatchObject({ snapshot: true, lsn: 1000 });
    expect(event({ after: { id: 1 }, source: { ...source, snapshot: 'incremental' }, op: 'c' }).snapshot).toBe(true);
  });

  it('takes truncates without a key, and tombstones and messages as what they are', () => {
    expect(event({ before: null, after: null, source, op: 't' })).toMatchObject({ op: 't', key: null, table: 'public.customers' });
    expect(readEnvelope(null, options)).toEqual({ kind: 'tombstone' });
    expect(readEnvelope({ schema: null, payload: null }, options)).toEqual({ kind: 'tombstone' });
    expect(readEnvelope({ op: 'm', source }, options).kind).toBe('skipped');
  });

  it('keeps only the configured table when asked', () => {
    const other = { after: { id: 1 }, source: { ...source, table: 'orders' }, op: 'c' };
    expect(readEnvelope(other, { primaryKey: ['id'], table: 'customers' })).toEqual({ kind: 'skipped', reason: 'event for table public.orders' });
    expect(readEnvelope(other, { primaryKey: ['id'], table: 'public.orders' }).kind).toBe('event');
  });

  it('says why an event is malformed', () => {
    const reason = (value: unknown) => (readEnvelope(value, options) as { reason: string }).reason;
    expect(reason([1])).toBe('not a change event: expected a JSON object, got an array');
    expect(reason({ after: { id: 1 } })).toBe("not a Debezium change event: no 'op' field");
    expect(reason({ op: 'x', after: { id: 1 } })).toBe('unknown op "x" (expected one of c, u, d, r, t)');
    expect(reason({ op: 'c', after: null })).toBe("op 'c' without 'after'");
    expect(reason({ op: 'd', before: null })).toMatch(/without 'before'/);
    expect(reason({ op: 'c', after: { name: 'a' } })).toBe("primary key column 'id' is missing from 'after'");
    expect(reason({ op: 'c', after: { id: null } })).toBe("primary key column 'id' is null");
    expect(reason({ op: 'c', after: { id: 1 }, source: { lsn: 1.5 } })).toBe("'lsn' must be a whole number, got number 1.5");
    expect(reason({ op: 'c', after: 'x' })).toBe("'after' must be an object or null, got string \"x\"");
  });

  it("unwraps Kafka Connect's {schema, payload} and turns logical types into plain values", () => {
    const field = (name: string, type: string, logical?: string, parameters?: Record<string, string>) => ({ field: name, type, optional: true, ...(logical ? { name: logical } : {}), ...(parameters ? { parameters } : {}) });
    const row = { type: 'struct', fields: [
      field('id', 'int32'), field('d', 'int32', 'io.debezium.time.Date'), field('ts', 'int64', 'io.debezium.time.MicroTimestamp'),
      field('ms', 'int64', 'io.debezium.time.Timestamp'), field('amount', 'bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '2' }),
      field('v', 'struct', 'io.debezium.data.VariableScaleDecimal'), field('t', 'int64', 'io.debezium.time.MicroTime'),
    ] };
    const value = {
      schema: { type: 'struct', fields: [{ ...row, field: 'before' }, { ...row, field: 'after' }] },
      payload: { before: null, after: { id: 1, d: 19723, ts: 1704103200123456, ms: 1704103200123, amount: Buffer.from([0x00, 0xc3, 0x14]).toString('base64'), v: { scale: 3, value: '/w==' }, t: 3723000001 }, source, op: 'c' },
    };
    expect(event(value).after).toEqual({ id: 1, d: '2024-01-01', ts: '2024-01-01 10:00:00.123456', ms: '2024-01-01 10:00:00.123000', amount: '499.40', v: '-0.001', t: '01:02:03.000001' });
  });

  it('decodes Decimal bytes, negative ones too', () => {
    expect(decodeDecimal(Buffer.from([0x30, 0x39]).toString('base64'), 2)).toBe('123.45');
    expect(decodeDecimal(Buffer.from([0xff, 0x38]).toString('base64'), 1)).toBe('-20.0');
    expect(decodeDecimal(Buffer.from([0x05]).toString('base64'), 3)).toBe('0.005');
  });

  it('identifies an event by its place and content, not by when the connector sent it', () => {
    const a = event({ after: { id: 1 }, source, op: 'c', ts_ms: 1 });
    const b = event({ after: { id: 1 }, source, op: 'c', ts_ms: 2 });
    const c = event({ after: { id: 1 }, source: { ...source, lsn: 1001 }, op: 'c', ts_ms: 1 });
    expect(eventId(a)).toBe(eventId(b));
    expect(eventId(a)).not.toBe(eventId(c));
  });
});
