import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { propertiesFileSchema } from './schemas.js';
import { YamlCache } from './yaml-cache.js';
import { YamlFile } from './yaml-file.js';

const folders: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
const target = () => {
  const folder = mkdtempSync(join(tmpdir(), 'smelt-yaml-cache-'));
  folders.push(folder);
  return folder;
};

const text = 'version: 2\nmodels:\n  - name: orders\n    description: All orders\n    meta: {limit: .inf}\n    colums: []\n';

describe('YamlCache', () => {
  it('parses a file once: the next process takes its value from the cache, with the same lines', () => {
    const targetPath = target();
    const first = YamlCache.open(targetPath);
    const parsed = first.parse('models/schema.yml', text);
    first.save();

    const parse = vi.spyOn(YamlFile, 'parse');
    const cached = YamlCache.open(targetPath).parse('models/schema.yml', text);
    expect(parse).not.toHaveBeenCalled();
    expect(cached.value).toEqual(parsed.value);
    expect((cached.value as { models: { meta: { limit: number } }[] }).models[0]!.meta.limit).toBe(Infinity);
    // Validation warnings still name the line of the misspelt key.
    const warning = cached.validate(propertiesFileSchema).warnings[0];
    expect(warning?.message).toContain("Unknown key 'models.0.colums'");
    expect(warning?.location.line).toBe(6);
  });

  it('parses a changed file again, and survives a damaged cache file', () => {
    const targetPath = target();
    const cache = YamlCache.open(targetPath);
    cache.parse('models/schema.yml', text);
    cache.save();
    const changed = YamlCache.open(targetPath).parse('models/schema.yml', text.replace('All orders', 'Every order'));
    expect(JSON.stringify(changed.value)).toContain('Every order');

    writeFileSync(join(targetPath, 'partial', 'yaml.bin'), 'not a cache');
    const again = YamlCache.open(targetPath).parse('models/schema.yml', text);
    expect(JSON.stringify(again.value)).toContain('All orders');
  });

  it('does not cache a file with a syntax error', () => {
    const targetPath = target();
    const cache = YamlCache.open(targetPath);
    expect(() => cache.parse('models/bad.yml', 'models:\n  - name: [unclosed\n')).toThrow(/Invalid YAML/);
    cache.save();
    expect(() => YamlCache.open(targetPath).parse('models/bad.yml', 'models:\n  - name: [unclosed\n')).toThrow(/Invalid YAML/);
  });
});
