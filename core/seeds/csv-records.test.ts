import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvPrefix, readCsvRecords, type CsvReadOptions } from './csv-records.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer): CsvReadOptions {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, content);
  return { path, file: 'seeds/x.csv', delimiter: ',' };
}

async function streamed(options: CsvReadOptions, count: number): Promise<unknown[]> {
  const records = [];
  for await (const record of readCsvRecords(options)) {
    records.push(record);
    if (records.length === count) break;
  }
  return records;
}

describe('readCsvPrefix (the sample in one call)', () => {
  it('gives the records and lines the stream gives', async () => {
    const files = [
      'a,b\n1,2\n3,4\n',
      '\uFEFF\n\na,b\r\n1,"x\ny"\r\n\r\n3,"say ""hi"""\n5,6',
      'a;b\n1,5;2\n',
      '',
    ];
    for (const content of files) {
      const options = { ...file(content), delimiter: content.includes(';') ? ';' : ',' };
      for (const count of [1, 2, 3, 10]) expect(readCsvPrefix(options, count)).toEqual(await streamed(options, count));
    }
  });

  it('leaves anything csv-parse objects to to the stream, which words it', () => {
    expect(readCsvPrefix(file('a,b\n1,2,3\n'), 5)).toBeUndefined();
    expect(readCsvPrefix(file('a,b\n1,"2\n'), 5)).toBeUndefined();
    expect(readCsvPrefix({ path: join(dir, 'missing.csv'), file: 'seeds/missing.csv', delimiter: ',' }, 5)).toBeUndefined();
  });

  it('stops at the last line break of its prefix, and says when the prefix is not enough', async () => {
    // About 5 MB: a quoted value with line breaks straddles the 4 MB prefix's end.
    const row = 'x'.repeat(90);
    const lines = ['a,b'];
    for (let i = 0, size = 0; size < 5 << 20; i++) {
      lines.push(i % 1000 === 999 ? `${i},"${row}\n${row}\n${row}"` : `${i},${row}`);
      size += lines.at(-1)!.length + 1;
    }
    const options = file(`${lines.join('\n')}\n`);
    const many = readCsvPrefix(options, 40_000);
    expect(many).toEqual(await streamed(options, 40_000));
    expect(readCsvPrefix(options, 100_000)).toBeUndefined();
  });
});
