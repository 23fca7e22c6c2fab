import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSiteData } from './site-data.js';
import { testManifest } from './test-manifest.test-support.js';
import { script, writeSite } from './write-site.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-docs-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a data script as the browser would and returns what it handed over. */
function load(text: string): unknown[] {
  let args: unknown[] = [];
  runInNewContext(text, { window: { cb: (...a: unknown[]) => (args = a) } });
  return args;
}

describe('data scripts', () => {
  it('carry any text intact, including markup, quotes and line separators', () => {
    const nasty = { d: '</script><script>alert(1)</script> "quoted" \'single\' \\ back \u2028\u2029 ${x} `tick`', n: [1, null, true] };
    const text = script('cb', nasty, 3);
    expect(load(text)).toEqual([3, nasty]);
    // A column called __proto__ stays a key, not a prototype.
    const [proto] = load(script('cb', JSON.parse('{"__proto__": {"polluted": 1}}'))) as [Record<string, unknown>];
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect((proto as { polluted?: number }).polluted).toBeUndefined();
    // One statement on one line: the data is a single JSON string literal.
    expect(text.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('writeSite', () => {
  const manifest = testManifest(Array.from({ length: 150 }, (_, i) => ({ name: `m${i}`, sql: 'select 1 as a' })));

  it('writes index.html, bundled assets and data files, nothing from the network', async () => {
    const out = join(dir, 'docs');
    const result = await writeSite(out, buildSiteData({ manifest }));
    expect(result.files).toBeGreaterThan(8);
    for (const file of ['index.html', 'assets/app.js', 'assets/app.css', 'assets/dagre.min.js', 'assets/highlight.min.js', 'data/index.js', 'data/lineage.js', 'data/details/0.js', 'data/details/1.js']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('Content-Security-Policy');
    const [index] = load(readFileSync(join(out, 'data/index.js'), 'utf8').replace('window.__smeltIndex', 'window.cb')) as [{ nodes: unknown[] }];
    expect(index.nodes).toHaveLength(150);
  });

  it('replaces the previous site whole: no shard of a bigger project lingers', async () => {
    const out = join(dir, 'replace');
    mkdirSync(join(out, 'data', 'details'), { recursive: true });
    writeFileSync(join(out, 'data', 'details', '99.js'), 'stale');
    await writeSite(out, buildSiteData({ manifest }));
    expect(readdirSync(join(out, 'data', 'details')).sort()).toEqual(['0.js', '1.js']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp') || f.includes('.old'))).toEqual([]);
  });
});
