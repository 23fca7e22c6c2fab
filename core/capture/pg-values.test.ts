import { describe, expect, it } from 'vitest';
import { debeziumValue, TYPE } from './pg-values.js';

const v = (text: string | null, typeOid: number, typmod = -1) => debeziumValue(text, { typeOid, typmod });

describe('PostgreSQL text values as Debezium sends them', () => {
  it('numbers, booleans and decimals (as text)', () => {
    expect(v('42', TYPE.int4)).toBe(42);
    expect(v('-7', TYPE.int2)).toBe(-7);
    expect(v('9007199254740993', TYPE.int8)).toBe('9007199254740993');
    expect(v('123', TYPE.int8)).toBe(123);
    expect(v('1.5', TYPE.float8)).toBe(1.5);
    expect(v('NaN', TYPE.float8)).toBe('NaN');
    expect(v('12345678901234567890.12', TYPE.numeric)).toBe('12345678901234567890.12');
    expect(v('t', TYPE.bool)).toBe(true);
    expect(v('f', TYPE.bool)).toBe(false);
    expect(v(null, TYPE.int4)).toBeNull();
  });

  it('dates as epoch days, timestamps as epoch micro- or milliseconds by precision, zoned values in UTC', () => {
    expect(v('2024-01-01', TYPE.date)).toBe(19723);
    expect(v('1969-12-31', TYPE.date)).toBe(-1);
    const year99 = new Date(0);
    year99.setUTCFullYear(99, 0, 1);
    expect(v('0099-01-01', TYPE.date)).toBe(Math.round(year99.getTime() / 86_400_000));
    expect(v('infinity', TYPE.date)).toBe('infinity');
    expect(v('2024-01-01 10:00:00.123456', TYPE.timestamp)).toBe(Date.UTC(2024, 0, 1, 10) * 1000 + 123456);
    expect(v('2024-01-01 10:00:00.5', TYPE.timestamp, 3)).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 500));
    expect(v('2024-01-01 10:00:00.5+00', TYPE.timestamptz)).toBe('2024-01-01T10:00:00.5Z');
    expect(v('10:30:00.25', TYPE.time)).toBe((10 * 3600 + 30 * 60) * 1e6 + 250000);
    expect(v('10:30:00', TYPE.time, 0)).toBe((10 * 3600 + 30 * 60) * 1000);
    expect(v('01:30:00+02', TYPE.timetz)).toBe('23:30:00Z');
  });

  it('bytes as base64, anything else as its text', () => {
    expect(v('\\x0102ff', TYPE.bytea)).toBe(Buffer.from([1, 2, 255]).toString('base64'));
    expect(v('{"a": 1}', 3802)).toBe('{"a": 1}');
    expect(v('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2950)).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });
});
