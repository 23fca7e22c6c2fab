import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { withConnection } from '../adapters/adapter.js';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { generateDocs } from './generate-docs.js';
import type { SiteIndex, SiteLineage } from './site-data.js';
import { testManifest } from './test-manifest.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'smelt-docs-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = testManifest([
  { name: 'raw_people', type: 'seed', schema: 'main' },
  { name: 'people', schema: 'main', sql: 'select id, upper(name) as name_upper from "main"."raw_people"', parents: ['raw_people'], columns: { id: 'Key.' } },
]);

function read<T>(path: string, callback: string): T {
  let value: unknown;
  runInNewContext(readFileSync(path, 'utf8'), { window: { [callback]: (v: unknown) => (value = v) } });
  return value as T;
}

describe('generateDocs on DuckDB', () => {
  it('reads column types from an existing warehouse, read-only, and resolves column lineage', async () => {
    const path = join(dir, 'warehouse.duckdb');
    const builder = new DuckdbAdapter({ path, threads: 1 });
    await withConnection(builder, async (c) => {
      await c.execute('create table main.raw_people (id integer, name varchar)');
      await c.execute('create view main.people as select id, upper(name) as name_upper from main.raw_people');
    });
    await builder.close();

    const out = join(dir, 'docs-built');
    const warnings: string[] = [];
    const result = await generateDocs({ manifest, outDir: out, projectRoot: dir, adapter: new DuckdbAdapter({ path, threads: 1, readOnly: true }), warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(result).toMatchObject({ nodes: 2, lineageNodes: 1, warehouseRelations: 2 });
    const index = read<SiteIndex>(join(out, 'data/index.js'), '__smeltIndex');
    const people = index.nodes.find((n) => n.name === 'people')!;
    expect(people.columns).toEqual([['id', 'INTEGER', 'Key.'], ['name_upper', 'VARCHAR', '']]);
    const lineage = read<Record<number, SiteLineage>>(join(out, 'data/lineage.js'), '__smeltLineage');
    const raw = index.nodes.findIndex((n) => n.name === 'raw_people');
    expect(lineage[index.nodes.indexOf(people)]!.columns).toEqual([['id', 'direct', [[raw, 'id']]], ['name_upper', 'derived', [[raw, 'name']]]]);
  });

  it('works without a warehouse: says so, creates no database file, and still parses with DuckDB', async () => {
    const path = join(dir, 'never-built.duckdb');
    mkdirSync(join(dir, 'seeds'), { recursive: true });
    writeFileSync(join(dir, 'seeds', 'raw_people.csv'), 'id,name\n1,ann\n');
    const seedManifest = testManifest([
      { name: 'raw_people', type: 'seed', schema: 'main' },
      { name: 'people', schema: 'main', sql: 'select * from "main"."raw_people"', parents: ['raw_people'] },
    ]);
    seedManifest.nodes['seed.p.raw_people']!.path = 'seeds/raw_people.csv';
    const warnings: string[] = [];
    const out = join(dir, 'docs-unbuilt');
    const result = await generateDocs({ manifest: seedManifest, outDir: out, projectRoot: dir, adapter: new DuckdbAdapter({ path, threads: 1, readOnly: true }), warn: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/not read from the warehouse: .*does not exist yet/);
    expect(existsSync(path)).toBe(false);
    expect(result.warehouseRelations).toBe(0);
    // The seed's CSV header expands `select *`.
    const index = read<SiteIndex>(join(out, 'data/index.js'), '__smeltIndex');
    expect(index.nodes.find((n) => n.name === 'people')!.columns.map((c) => c[0])).toEqual(['id', 'name']);
  });

  it('keeps column lineage in a cache: a second run parses nothing and writes the same site', async () => {
    const out = join(dir, 'docs-cached');
    const cache = join(dir, 'partial', 'docs-lineage.json');
    const run = () => generateDocs({ manifest, outDir: out, projectRoot: dir, adapter: new DuckdbAdapter({ path: join(dir, 'none.duckdb'), threads: 1, readOnly: true }), lineageCachePath: cache });
    const first = await run();
    const lineage = readFileSync(join(out, 'data/lineage.js'), 'utf8');
    expect(first.lineageStats).toMatchObject({ parsed: 1, reused: 0 });
    expect(existsSync(cache)).toBe(true);
    const second = await run();
    expect(second.lineageStats).toMatchObject({ parsed: 0, reused: 1 });
    expect(readFileSync(join(out, 'data/lineage.js'), 'utf8')).toBe(lineage);
  });
});
