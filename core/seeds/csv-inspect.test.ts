import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { diagnoseCsv, inspectCsv, type InspectOptions } from './csv-inspect.js';
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

describe('a seed file that is gone', () => {
  it('is a SeedError, not a crash', async () => {
    const e = await failure(inspectCsv({ path: join(dir, 'missing.csv'), file: 'seeds/missing.csv', config: { delimiter: ',', header: true, quoteColumns: false, columnTypes: {} }, configFile: 'project.yml' }));
    expect(e.message).toBe('The seed file seeds/missing.csv does not exist');
  });
});
