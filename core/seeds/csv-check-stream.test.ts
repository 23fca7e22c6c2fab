import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvCheckStream, type CsvCheckOptions } from './csv-check-stream.js';
import { FileDigest } from './file-digest.js';
import { SeedError, SeedValueMismatch } from './seed-error.js';
import { ColumnInference, kindMatcher } from './seed-types.js';

/** Runs text through the checker in chunks of `chunk` bytes; returns the bytes passed on and the row count. */
async function check(text: string | Buffer, options: Partial<CsvCheckOptions> = {}, chunk = 1 << 20): Promise<{ out: string; rows: number }> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const stream = new CsvCheckStream({ file: 'seeds/x.csv', delimiter: ',', columns: ['a', 'b'], header: true, emit: true, ...options });
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), stream, new Writable({ write: (c: Buffer, _e, done) => { out.push(c); done(); } }));
  return { out: Buffer.concat(out).toString(), rows: stream.rows };
}

async function error(text: string, options: Partial<CsvCheckOptions> = {}, chunk?: number): Promise<SeedError> {
  try {
    await check(text, options, chunk);
  } catch (e) {
    if (e instanceof SeedError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('CsvCheckStream', () => {
  it('counts rows and passes valid CSV through unchanged', async () => {
    const text = 'a,b\n1,"x, ""y""\nz"\n2,\n"",3\n';
    expect(await check(text)).toEqual({ out: text, rows: 3 });
  });

  it('drops a byte-order mark and blank lines (LF and CRLF), keeping blank lines inside quotes', async () => {
    expect(await check('\uFEFF\na,b\n\n1,x\n\n\n2,"y\n\nz"\n\n')).toEqual({ out: 'a,b\n1,x\n2,"y\n\nz"\n', rows: 2 });
    expect(await check('\r\na,b\r\n\r\n1,"x\r\ny"\r\n\r\n2,z\n')).toEqual({ out: 'a,b\n1,"x\r\ny"\n2,z\n', rows: 2 });
  });

  it('gives the same result whatever the chunk boundaries', async () => {
    const text = '\uFEFFa,b\r\n\r\n1,"q""uo\r\nte"\r\n-2,plain\r\n\r\n,"",\r\n'.replace(',"",\r\n', ',""\r\n');
    const whole = await check(text, { checks: [{ match: kindMatcher('integer')!, expected: 'integer' }, undefined] });
    for (let size = 1; size < 12; size++) {
      expect(await check(text, { checks: [{ match: kindMatcher('integer')!, expected: 'integer' }, undefined] }, size)).toEqual(whole);
    }
    expect(whole.rows).toBe(3);
  });

  it('agrees with csv-parse on the number of records of random well-formed CSV', async () => {
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    const pieces = ['a', 'b c', '', '1', ';', ',', '"', '\n', '\r\n', 'é'];
    for (let file = 0; file < 200; file++) {
      const rows = [['h1', 'h2', 'h3']];
      for (let r = 0; r < random(6); r++) rows.push([0, 1, 2].map(() => Array.from({ length: random(4) }, () => pieces[random(pieces.length)]).join('')));
      const text = rows.map((row) => row.map((v) => (/[",\r\n]/.test(v) || random(3) === 0 ? `"${v.replaceAll('"', '""')}"` : v)).join(',')).join(random(2) ? '\r\n' : '\n') + (random(2) ? '\n' : '');
      const expected = parse(text, { skip_empty_lines: true, record_delimiter: ['\r\n', '\n'] }).length - 1;
      for (const size of [1, 3, 64]) {
        expect((await check(text, { columns: ['h1', 'h2', 'h3'] }, size)).rows, text).toBe(expected);
      }
    }
  });

  it('finds ragged rows with the line and the column', async () => {
    const few = await error('a,b\n1,x\n\n2\n3,z\n');
    expect(few.message).toBe("Row has 1 value but the header has 2 columns (no value for column 'b')");
    expect(few.where).toBe('seeds/x.csv:4');
    const many = await error('a,b\n1,x,y,z\n');
    expect(many.message).toBe("Row has 4 values but the header has 2 columns (a value after the last column 'b')");
    expect(many.where).toBe('seeds/x.csv:2');
  });

  it('finds broken quoting', async () => {
    const open = await error('a,b\n1,x\n2,"y\nz\n');
    expect(open.message).toBe("Unterminated quote in column 'b': the quoted value that starts on line 3 never ends");
    expect(open.where).toBe('seeds/x.csv:3');
    expect((await error('a,b\n1,x"y\n')).message).toBe("A quote inside an unquoted value in column 'b'");
    expect((await error('a,b\n"1"x,y\n')).message).toBe("Text after the closing quote of a value in column 'a'");
    expect((await error('a,b\r1,x\r')).message).toContain('carriage return');
  });

  it('checks typed values, quoted or not, across chunks', async () => {
    const checks = [{ match: kindMatcher('integer')!, expected: 'integer' }, undefined];
    expect((await check('a,b\n1,x\n"22",y\n,z\n', { checks }, 2)).rows).toBe(3);
    for (const size of [1, 2, 1 << 20]) {
      const e = await error('a,b\n1,x\n\n"12345x",y\n', { checks }, size);
      expect(e).toBeInstanceOf(SeedValueMismatch);
      expect(e.message).toBe("Value '12345x' in column 'a' does not fit the type inferred from the first rows (integer)");
      expect((e as SeedValueMismatch).inferred).toBe(true);
      expect(e.where).toBe('seeds/x.csv:4');
    }
    const configured = await error('a,b\n1,x\n2147483648,y\n', { checks: [{ match: kindMatcher('integer', true)!, expected: 'integer', configuredIn: 'seeds/schema.yml' }, undefined] });
    expect(configured.message).toBe("Value '2147483648' in column 'a' is not a valid integer (column_types sets a: integer)");
    expect(configured.hint).toContain('seeds/schema.yml');
    // The header is never checked; the last value (no final newline) is.
    expect((await error('a,b\n1,2\n3,4', { checks: [undefined, { match: kindMatcher('boolean')!, expected: 'boolean' }] })).where).toBe('seeds/x.csv:2');
  });

  it('widens an inferred type instead of failing when asked to', async () => {
    const text = 'a,b\n1,x\n3000000000,y\n2.5,z\n7,w\n';
    for (const size of [1, 5, 1 << 20]) {
      const inference = new ColumnInference();
      inference.kind = 'integer';
      expect((await check(text, { checks: [{ match: kindMatcher('integer')!, expected: 'integer', widen: inference }, undefined] }, size)).rows).toBe(4);
      expect(inference.result).toBe('double');
    }
  });

  it('with a limit, checks that many rows, reads one more for its structure only, and stops', () => {
    const scan = (text: string, limit: number, header = true): CsvCheckStream => {
      const checker = new CsvCheckStream({ file: 'seeds/x.csv', delimiter: ',', columns: ['a'], header, emit: false, checks: [{ match: kindMatcher('integer')!, expected: 'integer' }], limit });
      checker.checkChunk(Buffer.from(text));
      checker.checkEnd();
      return checker;
    };
    // The third row is past the sample: its value is not checked, and the fourth is never read.
    const limited = scan('a\n1\n2\nx\n"unterminated\n', 2);
    expect({ rows: limited.rows, more: limited.more }).toEqual({ rows: 3, more: true });
    expect(() => scan('a\n1\n2\nx\n', 3)).toThrow("Value 'x' in column 'a'");
    expect(() => scan('a\n1\n2\n3,4\n', 2)).toThrow('Row has 2 values');
    for (const text of ['a\n1\n2\n', 'a\n1\n2', 'a\n1\n2\n\n\r\n']) expect(scan(text, 2).more, text).toBe(false);
    expect(scan('a\n1\n2\n3', 2).more).toBe(true);
    expect(scan('1\nx\n', 1, false).more).toBe(true);
    expect(scan('x\n', 0, false).more).toBe(true);
  });

  it('checks chunks given synchronously the same as the stream, keeping none of them', async () => {
    const text = '\uFEFFa,b\r\n1,"x\r\ny"\r\n\r\n22,plain\n-3,"q""uote"\n';
    const checks = [{ match: kindMatcher('integer')!, expected: 'integer' }, undefined];
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 5, 64]) {
      const checker = new CsvCheckStream({ file: 'seeds/x.csv', delimiter: ',', columns: ['a', 'b'], header: true, emit: false, checks });
      const reused = Buffer.alloc(size);
      for (let i = 0; i < bytes.length; i += size) {
        const n = bytes.copy(reused, 0, i, i + size);
        checker.checkChunk(reused.subarray(0, n));
        reused.fill(0x78);
      }
      checker.checkEnd();
      expect(checker.rows).toBe((await check(text, { checks })).rows);
    }
    const bad = new CsvCheckStream({ file: 'seeds/x.csv', delimiter: ',', columns: ['a', 'b'], header: true, emit: false, checks });
    bad.checkChunk(Buffer.from('a,b\n1,x\n12'));
    expect(() => bad.checkChunk(Buffer.from('.5,y\n'))).toThrow("Value '12.5' in column 'a' does not fit the type inferred from the first rows (integer)");
  });

  it('stops at invalid UTF-8 when it keeps a digest, and hashes every byte', async () => {
    const digest = new FileDigest();
    const bad = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    await expect(check(bad, { digest })).rejects.toThrow('not valid UTF-8');
    const good = new FileDigest();
    const text = '\uFEFFa,b\r\n1,é\r\n';
    await check(text, { digest: good }, 1);
    expect(good.digest()).toEqual({ hash: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text), validUtf8: true });
  });
});
