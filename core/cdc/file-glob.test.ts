import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGlobs, globToRegExp } from './file-glob.js';

describe('expandGlobs', () => {
  const root = mkdtempSync(join(tmpdir(), 'smelt-glob-'));
  for (const file of ['cdc/a/1.ndjson', 'cdc/a/2.json', 'cdc/a/notes.txt', 'cdc/b/deep/3.ndjson.gz', 'cdc/.hidden/4.ndjson', 'other.ndjson']) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }

  it('expands *, **, ? and {a,b}, sorted, relative to the root', () => {
    expect(expandGlobs(root, ['cdc/a/*.ndjson'])).toEqual(['cdc/a/1.ndjson']);
    expect(expandGlobs(root, ['cdc/**/*.ndjson*'])).toEqual(['cdc/a/1.ndjson', 'cdc/b/deep/3.ndjson.gz']);
    expect(expandGlobs(root, ['cdc/a/?.{json,ndjson}'])).toEqual(['cdc/a/1.ndjson', 'cdc/a/2.json']);
    expect(expandGlobs(root, ['./cdc/a/*.ndjson', 'cdc/a/1.ndjson'])).toEqual(['cdc/a/1.ndjson']);
  });

  it('takes a folder for its event files (recursively) and a file for itself', () => {
    expect(expandGlobs(root, ['cdc/'])).toEqual(['cdc/a/1.ndjson', 'cdc/a/2.json', 'cdc/b/deep/3.ndjson.gz']);
    expect(expandGlobs(root, ['other.ndjson', 'missing.ndjson'])).toEqual(['other.ndjson']);
  });

  it('globToRegExp keeps * inside one folder', () => {
    expect(globToRegExp('a/*.json').test('a/b/c.json')).toBe(false);
    expect(globToRegExp('a/**/c.json').test('a/c.json')).toBe(true);
    expect(globToRegExp('a/**/c.json').test('a/x/y/c.json')).toBe(true);
  });
});
