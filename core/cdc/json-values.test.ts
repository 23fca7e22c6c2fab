import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openText, readJsonValues, type JsonValue } from './json-values.js';

async function read(text: string, chunkSize = 7): Promise<JsonValue[]> {
  // Small chunks: values, strings and escapes split across chunk borders.
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  const values: JsonValue[] = [];
  for await (const value of readJsonValues(Readable.from(chunks))) values.push(value);
  return values;
}

const summary = (values: JsonValue[]) => values.map((v) => (v.error !== undefined ? [v.line, 'error'] : [v.line, v.value]));

describe('readJsonValues', () => {
  it('reads newline-delimited JSON line by line, skipping blank lines, with line numbers', async () => {
    expect(summary(await read('{"a":1}\n\n{"b":2}\r\nnull\n'))).toEqual([[1, { a: 1 }], [3, { b: 2 }], [4, null]]);
  });

  it('reports a bad line and reads on', async () => {
    const values = await read('{"a":1}\n{"a": \n{"c":3}\n');
    expect(summary(values)).toEqual([[1, { a: 1 }], [2, 'error'], [3, { c: 3 }]]);
    expect(values[1]!.error).toMatch(/^invalid JSON/);
    expect(values[1]!.text).toBe('{"a": ');
  });

  it('splits JSON arrays into their elements, pretty-printed or not, with the line each starts on', async () => {
    const text = '[\n  {"a": [1, 2], "s": "x]}\\"y"},\n  null,\n  {\n    "b": {"c": "[{"}\n  }\n]\n';
    expect(summary(await read(text))).toEqual([[2, { a: [1, 2], s: 'x]}"y' }], [3, null], [4, { b: { c: '[{' } }]]);
    expect(summary(await read('[{"a":1},{"a":2}]'))).toEqual([[1, { a: 1 }], [1, { a: 2 }]]);
    expect(summary(await read('[{"a":1}]\n[{"a":2}]\n'))).toEqual([[1, { a: 1 }], [2, { a: 2 }]]);
  });

  it('reports a malformed element and one that the file ends inside', async () => {
    expect(summary(await read('[{"a":1},\n{"a" 2},\n{"b":3}]'))).toEqual([[1, { a: 1 }], [2, 'error'], [3, { b: 3 }]]);
    const unclosed = await read('[{"a":1},\n{"a": [1, 2}\n');
    expect(unclosed.at(-1)!.error).toMatch(/ends inside this value/);
    expect(unclosed.at(-1)!.line).toBe(2);
  });

  it('reads nothing from an empty file', async () => {
    expect(await read('')).toEqual([]);
    expect(await read('\n  \n')).toEqual([]);
  });

  it('reads gzipped files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smelt-json-'));
    writeFileSync(join(dir, 'events.ndjson.gz'), gzipSync('{"a":1}\n{"a":2}\n'));
    const values: JsonValue[] = [];
    for await (const value of readJsonValues(openText(join(dir, 'events.ndjson.gz')))) values.push(value);
    expect(summary(values)).toEqual([[1, { a: 1 }], [2, { a: 2 }]]);
  });
});
