import { describe, expect, it } from 'vitest';
import { unreadableValue } from './value-check.js';

describe('unreadableValue', () => {
  it('passes what both databases read as the declared type, and NULL', () => {
    const readable: [unknown, string][] = [
      [null, 'integer'], [undefined, 'date'], [42, 'integer'], ['-7', 'smallint'], [' 12 ', 'int'], ['9223372036854775807', 'bigint'], [JSON.parse('9223372036854775807'), 'bigint'],
      [1.5, 'numeric(10,2)'], ['-0.25e3', 'double precision'], ['NaN', 'numeric'],
      ['2024-03-09', 'date'], [19791, 'date'], ['2024-03-09T10:00:00Z', 'date'], ['infinity', 'date'],
      ['2024-03-09 10:00:00.123456', 'timestamp'], ['2024-03-09T10:00:00+02:00', 'timestamp with time zone'], ['2024-03-09 10:00:00 UTC', 'timestamptz'], [1709978400000, 'timestamp(3)'],
      [true, 'boolean'], ['yes', 'bool'], [0, 'boolean'],
      ['anything at all', 'text'], ['not a uuid', 'uuid'], [{ a: 1 }, 'jsonb'],
    ];
    for (const [value, type] of readable) expect(unreadableValue(value, type), `${JSON.stringify(value)} as ${type}`).toBeUndefined();
  });

  it('names what a value that cannot be read should have been', () => {
    expect(unreadableValue('abc', 'integer')).toBe('a whole number in its range');
    expect(unreadableValue(3000000000, 'integer')).toBe('a whole number in its range');
    expect(unreadableValue(1.5, 'bigint')).toBe('a whole number in its range');
    expect(unreadableValue('12,5', 'numeric')).toBe('a number');
    expect(unreadableValue('yesterday', 'timestamp')).toMatch(/^a timestamp/);
    expect(unreadableValue('09/03/2024', 'date')).toMatch(/^a date/);
    expect(unreadableValue(1.5, 'date')).toMatch(/^a date/);
    expect(unreadableValue('maybe', 'boolean')).toBe('true or false');
  });
});
