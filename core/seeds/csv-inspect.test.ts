import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { diagnoseCsv, inspectCsv, samplePrefix, type InspectOptions } from './csv-inspect.js';
import { readFilePrefix } from './csv-records.js';
import type { SeedCsvConfig } from './seed-config.js';
import { SeedError } from './seed-error.js';
import { parseTypeOverride } from './seed-types.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-seeds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function options(content: string | Buffer, config: Partial<SeedCsvConfig> = {}, sampleRows?: number): InspectOptions {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, content);
  return {
    path,
    file: 'seeds/x.csv',
    config: { delimiter: ',', header: true, quoteColumns: false, columnTypes: {}, ...config },
    configFile: 'seeds/schema.yml',
    ...(sampleRows !== undefined ? { sampleRows } : {}),
  };
}

async function failure(promise: Promise<unknown>): Promise<SeedError | ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SeedError || error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

const kinds = (shape: { columns: { name: string; kind?: string }[] }) => Object.fromEntries(shape.columns.map((c) => [c.name, c.kind]));

describe('inspectCsv', () => {
  it('infers a type per column from the sample; empty values are NULL', async () => {
    const shape = await inspectCsv(options('ID,Amount,Flag,Day,At,Note,Empty\n1,1.5,true,2024-01-01,2024-01-01 10:00,x,\n2,,FALSE,,2024-01-02,"a ""b"", c",\n'));
    expect(kinds(shape)).toEqual({ id: 'integer', amount: 'double', flag: 'boolean', day: 'date', at: 'timestamp', note: 'text', empty: undefined });
    expect(shape).toMatchObject({ rows: 2, complete: true, skipLines: 0 });
  });

  it('reads only the sample of a longer file', async () => {
    const shape = await inspectCsv(options(`a\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\nx\n`, {}, 10));
    expect(shape).toMatchObject({ rows: 10, complete: false });
    expect(kinds(shape)).toEqual({ a: 'integer' });
    expect(kinds(await diagnoseCsv(options(`a\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\nx\n`)))).toEqual({ a: 'text' });
  });

  it('keeps the header as written with quote_columns, and reads a file without one', async () => {
    expect(kinds(await inspectCsv(options('Id;Name\n1;x\n', { delimiter: ';', quoteColumns: true })))).toEqual({ Id: 'integer', Name: 'text' });
    expect(kinds(await inspectCsv(options('1\tx\n2\ty\n', { delimiter: '\t', header: false })))).toEqual({ column_1: 'integer', column_2: 'text' });
    const named = await inspectCsv(options('1,x\n', { header: false, columnNames: ['id', 'name'] }));
    expect(kinds(named)).toEqual({ id: 'integer', name: 'text' });
    expect(named.rows).toBe(1);
  });

  it('counts blank lines before the header, and a byte-order mark is not part of the first name', async () => {
    const shape = await inspectCsv(options('\uFEFF\n\nid\n1\n'));
    expect(shape.skipLines).toBe(2);
    expect(kinds(shape)).toEqual({ id: 'integer' });
  });

  it('applies column_types and checks their values', async () => {
    const config = { columnTypes: { ID: parseTypeOverride('bigint')!, price: parseTypeOverride('numeric(10,2)')! } };
    const shape = await inspectCsv(options('id,price\n007,1.50\n', config));
    expect(shape.columns).toEqual([
      { name: 'id', override: { sql: 'bigint', kind: 'bigint' }, kind: 'bigint' },
      { name: 'price', override: { sql: 'numeric(10,2)' } },
    ]);
    const e = await failure(inspectCsv(options('id,price\n1,2\nabc,3\n', config)));
    expect(e.message).toBe("Value 'abc' in column 'id' is not a valid bigint (column_types sets id: bigint)");
    expect(e.where).toBe('seeds/x.csv:3');
    expect(e.hint).toContain('seeds/schema.yml');
  });

  it('names a column_types entry that matches no column', async () => {
    const e = await failure(inspectCsv(options('id,name\n1,x\n', { columnTypes: { nmae: parseTypeOverride('text')! } })));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe("column_types names column 'nmae', which seeds/x.csv does not have");
    expect(e.hint).toBe("Did you mean 'name'?");
  });

  it.each([
    ['', 'The file is empty: a seed needs a header row naming its columns', 1],
    ['\n\n', 'The file is empty: a seed needs a header row naming its columns', 1],
    ['id,name,ID\n1,2,3\n', "Column 'id' appears twice in the header (columns 1 and 3)", 1],
    ['id,,x\n1,2,3\n', 'Column 2 has no name in the header', 1],
    ['a,b\n1,2\n3\n', "Row has 1 value but the header has 2 columns (no value for column 'b')", 3],
    ['a,b\n1,2,3\n', "Row has 3 values but the header has 2 columns (a value after the last column 'b')", 2],
    ['a,b\n1,2\n3,"x\n4,5\n', "Unterminated quote in column 'b': the quoted value that starts on line 3 never ends", 3],
    ['a,b\n1,x"y\n', "A quote inside an unquoted value in column 'b'", 2],
    ['a,b\n1,"x"y\n', "Text after the closing quote of a value in column 'b'", 2],
  ])('reports %j', async (text, message, line) => {
    const e = await failure(inspectCsv(options(text)));
    expect(e).toBeInstanceOf(SeedError);
    expect(e.message).toBe(message);
    expect(e.where).toBe(`seeds/x.csv:${line}`);
  });

  it('locates invalid UTF-8, even after the sample or before a problem the sample found', async () => {
    const bad = Buffer.concat([Buffer.from('a,b\n1,ok\n2,'), Buffer.from([0xff, 0x41]), Buffer.from('\n3,x,extra\n')]);
    const e = await failure(inspectCsv(options(bad)));
    expect(e.message).toBe("Invalid UTF-8 in column 'b': '\uFFFDA'");
    expect(e.where).toBe('seeds/x.csv:3');
    const late = Buffer.concat([Buffer.from('a,b\n1,ok\n2,ok\n3,'), Buffer.from([0xc3]), Buffer.from('\n')]);
    await expect(inspectCsv(options(late, {}, 1))).resolves.toBeDefined();
    expect((await failure(diagnoseCsv(options(late)))).where).toBe('seeds/x.csv:4');
  });
});

describe('samplePrefix (the sample read by the byte checker)', () => {
  it('infers what csv-parse infers from the same rows, on random files', async () => {
    let seed = 3;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    const values = [
      '', '0', '-7', '42', '007', '+5', '2147483648', '-9223372036854775809', '1.5', '.5', '-0.25', '1e5', '1e400', '1.', 'nan', 'true', 'FALSE',
      'yes', 't', '2024-02-29', '2023-02-29', '2024-01-05 10:00', '2024-01-05T23:59:59.123456', '2024-01-05 24:00', 'x', 'a b', 'é', 'say "hi"',
      'a,b', 'two\nlines', 'cr\r\nlf', ' 12 ',
    ];
    for (let file = 0; file < 400; file++) {
      const width = 1 + random(4);
      const header = random(4) !== 0;
      const limit = 1 + random(6);
      const eol = random(2) ? '\r\n' : '\n';
      const quote = (v: string): string => (/[",\r\n]/.test(v) || (v === '' && width === 1) || random(5) === 0 ? `"${v.replaceAll('"', '""')}"` : v);
      // Lines with their blank lines after them: the sample's file, and the same lines cut after the sample for csv-parse.
      const lines: string[] = header ? [`${Array.from({ length: width }, (_, i) => `c${i + 1}`).join(',')}${eol}`] : [];
      const rows = random(12);
      for (let r = 0; r < rows; r++) lines.push(Array.from({ length: width }, () => quote(values[random(values.length)]!)).join(',') + eol + (random(6) === 0 ? eol : ''));
      const start = (random(5) === 0 ? '\uFEFF' : '') + (random(4) === 0 ? eol : '');
      if (lines.length === 0) continue; // An empty file: csv-parse words that.
      const full = start + lines.join('');
      const config = { header };
      const sampled = options(full, config, limit);
      const shape = samplePrefix(sampled, readFilePrefix(sampled.path)!, limit);
      expect(shape, full).toBeDefined();
      const parsed = await diagnoseCsv(options(start + lines.slice(0, (header ? 1 : 0) + limit).join(''), config));
      expect({ kinds: kinds(shape!), skipLines: shape!.skipLines }, full).toEqual({ kinds: kinds(parsed), skipLines: parsed.skipLines });
      expect({ rows: shape!.rows, complete: shape!.complete }, full).toEqual({ rows: Math.min(rows, limit), complete: rows <= limit });
      expect(await inspectCsv(sampled)).toEqual(shape);
    }
  });

  it('leaves to csv-parse a file the checker objects to, and a sample the prefix does not hold', () => {
    for (const text of ['a,b\n1,2\n3\n', 'a,b\n1,"x\n', 'a\n1\n2\n3,4\n']) {
      const o = options(text, {}, 5);
      expect(samplePrefix(o, readFilePrefix(o.path)!, 5)).toBeUndefined();
    }
    // Past the sample, the checker reads one more row (for its structure) and stops there.
    const late = options('a\n1\n2\n3,4\n', {}, 1);
    expect(samplePrefix(late, readFilePrefix(late.path)!, 1)).toMatchObject({ rows: 1, complete: false });
    const o = options('a\n1\n2\n', {}, 5);
    expect(samplePrefix(o, { bytes: Buffer.from('a\n1\n'), whole: false }, 5)).toBeUndefined();
  });

  it('checks column_types values in the sample and stops at the first that does not fit', async () => {
    const config = { columnTypes: { id: parseTypeOverride('integer')!, price: parseTypeOverride('numeric(10,2)')! } };
    const good = options('id,price\n007,1.50\n+5,x\n', config);
    expect(samplePrefix(good, readFilePrefix(good.path)!, 10)?.columns).toEqual([
      { name: 'id', override: { sql: 'integer', kind: 'integer' }, kind: 'integer' },
      { name: 'price', override: { sql: 'numeric(10,2)' } },
    ]);
    const bad = options('id,price\n1,2\n1.5,3\n', config);
    expect(samplePrefix(bad, readFilePrefix(bad.path)!, 10)).toBeUndefined();
    expect((await failure(inspectCsv(bad))).message).toBe("Value '1.5' in column 'id' is not a valid integer (column_types sets id: integer)");
  });
});

describe('a seed file that is gone', () => {
  it('is a SeedError, not a crash', async () => {
    const e = await failure(inspectCsv({ path: join(dir, 'missing.csv'), file: 'seeds/missing.csv', config: { delimiter: ',', header: true, quoteColumns: false, columnTypes: {} }, configFile: 'project.yml' }));
    expect(e.message).toBe('The seed file seeds/missing.csv does not exist');
  });
});
