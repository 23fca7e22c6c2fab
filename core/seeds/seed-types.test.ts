import { describe, expect, it } from 'vitest';
import { ColumnInference, fits, join, kindMatcher, kindOf, parseTypeOverride, type SeedKind } from './seed-types.js';

describe('kindOf', () => {
  it.each([
    ['0', 'integer'], ['-12', 'integer'], ['2147483647', 'integer'], ['-2147483648', 'integer'],
    ['2147483648', 'bigint'], ['-9223372036854775808', 'bigint'], ['9223372036854775807', 'bigint'],
    ['9223372036854775808', 'double'], ['1.5', 'double'], ['-0.25', 'double'], ['.5', 'double'], ['1e10', 'double'], ['2.5E-3', 'double'],
    ['007', 'text'], ['01.5', 'text'], ['+5', 'text'], ['1.', 'text'], ['1,5', 'text'], [' 42', 'text'], ['1e400', 'text'], ['NaN', 'text'],
    ['true', 'boolean'], ['FALSE', 'boolean'], ['True', 'boolean'], ['yes', 'text'], ['t', 'text'],
    ['2024-02-29', 'date'], ['2023-02-29', 'text'], ['2024-13-01', 'text'], ['0000-01-01', 'text'], ['2024-1-5', 'text'],
    ['2024-01-05 10:00', 'timestamp'], ['2024-01-05T10:00:59', 'timestamp'], ['2024-01-05 10:00:00.123456', 'timestamp'],
    ['2024-01-05 24:00:00', 'text'], ['2024-01-05 10:00:00+02', 'text'], ['2024-01-05 10:00:00.1234567', 'text'],
    ['hello', 'text'], ["O'Brien; drop table x", 'text'],
  ])('%j is %s', (value, kind) => {
    expect(kindOf(value)).toBe(kind);
  });
});

describe('join', () => {
  it('widens within a family and falls back to text across families', () => {
    expect(join('integer', 'bigint')).toBe('bigint');
    expect(join('double', 'integer')).toBe('double');
    expect(join('date', 'timestamp')).toBe('timestamp');
    expect(join('integer', 'boolean')).toBe('text');
    expect(join('date', 'integer')).toBe('text');
    expect(join('text', 'integer')).toBe('text');
  });
});

describe('ColumnInference', () => {
  const infer = (values: string[]): SeedKind => {
    const column = new ColumnInference();
    values.forEach((v) => column.observe(v));
    return column.result;
  };
  it('ignores empty values and is text when there are none', () => {
    expect(infer(['', '1', ''])).toBe('integer');
    expect(infer(['', ''])).toBe('text');
    expect(infer([])).toBe('text');
  });
  it('is the join of every value', () => {
    expect(infer(['1', '2', '3000000000'])).toBe('bigint');
    expect(infer(['1', '2.5'])).toBe('double');
    expect(infer(['2024-01-01', '2024-01-01 10:00'])).toBe('timestamp');
    expect(infer(['1', 'true'])).toBe('text');
    expect(infer(['1', '007'])).toBe('text');
  });
});

describe('fits with overrides', () => {
  it('accepts the spellings both databases read alike', () => {
    expect(fits('integer', '007', true)).toBe(true);
    expect(fits('integer', '+42', true)).toBe(true);
    expect(fits('integer', '1.5', true)).toBe(false);
    expect(fits('integer', '99999999999', true)).toBe(false);
    expect(fits('bigint', '99999999999', true)).toBe(true);
    expect(fits('boolean', 'yes', true)).toBe(true);
    expect(fits('boolean', 'N', true)).toBe(true);
    expect(fits('boolean', 'on', true)).toBe(false);
    expect(fits('double', '1.', true)).toBe(true);
    expect(fits('date', '2024-02-30', true)).toBe(false);
  });
});

describe('kindMatcher', () => {
  // The byte matchers run on every value of a load; they must say exactly what fits() says.
  const alphabet = '0123456789-+.eE: Ttrufalsyno';
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const samples: string[] = [
    '0', '-0', '00', '1.', '.5', '-.5', '1e5', '1e', '1e+', '1e400', '1e308', `1${'0'.repeat(320)}`, 'true', 'FALSE', 'yes', 'no', 'y', '1',
    '2147483647', '2147483648', '-2147483648', '-2147483649', '+2147483647', '002147483647', '9223372036854775807', '9223372036854775808',
    '-9223372036854775808', '-9223372036854775809', '99999999999999999999',
    '2024-01-05', '2024-02-29', '2023-02-29', '2024-04-31', '2024-00-10', '0000-01-01', '2024-13-01',
    '2024-01-05 10:00', '2024-01-05T23:59:59.123456', '2024-01-05 24:00', '2024-01-05 10:60', '2024-01-05 10:00:60', '2024-01-05 10:00:00.',
    '2024-01-05 10', '2023-02-29 10:00',
  ];
  for (let i = 0; i < 20000; i++) {
    const length = 1 + Math.floor(random() * 12);
    let text = '';
    for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
    samples.push(text);
  }
  const kinds: SeedKind[] = ['integer', 'bigint', 'double', 'boolean', 'date', 'timestamp'];
  it.each(kinds.flatMap((kind) => [[kind, false], [kind, true]] as const))('%s (override: %s)', (kind, override) => {
    const match = kindMatcher(kind, override)!;
    const disagreements = samples.filter((sample) => {
      const bytes = Buffer.from(`xx${sample}yy`, 'latin1');
      return match(bytes, 2, bytes.length - 2) !== fits(kind, sample, override);
    });
    expect(disagreements).toEqual([]);
  });
  it('has none for text', () => {
    expect(kindMatcher('text')).toBeUndefined();
  });
});

describe('parseTypeOverride', () => {
  it('knows the common names and keeps other types verbatim', () => {
    expect(parseTypeOverride('BIGINT')).toEqual({ sql: 'bigint', kind: 'bigint' });
    expect(parseTypeOverride(' double  precision ')).toEqual({ sql: 'double precision', kind: 'double' });
    expect(parseTypeOverride('varchar')).toEqual({ sql: 'text', kind: 'text' });
    expect(parseTypeOverride('numeric(12, 2)')).toEqual({ sql: 'numeric(12, 2)' });
    expect(parseTypeOverride('varchar(20)')).toEqual({ sql: 'varchar(20)' });
    expect(parseTypeOverride('int[]')).toEqual({ sql: 'int[]' });
  });
  it('refuses anything that could end a statement', () => {
    expect(parseTypeOverride('int); drop table x; --')).toBeUndefined();
    expect(parseTypeOverride("text default 'x'")).toBeUndefined();
    expect(parseTypeOverride('')).toBeUndefined();
  });
});
