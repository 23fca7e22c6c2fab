import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../adapters/adapter.js';
import { DuckdbAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { PostgresAdapter } from '../adapters/postgres/postgres-adapter.js';
import { dialects, PG } from '../../e2e/support/project.js';
import type { CdcSource } from './cdc-source.js';
import { loadChanges, MalformedEventError } from './load-changes.js';

/*
 * The loader with tiny batches (2 events), so every path crosses batch borders: a batch in
 * flight while the next is read, a duplicate in another batch of the same file, a malformed
 * event after batches were sent (the whole load rolls back).
 */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../e2e/fixtures/cdc');
const schema = `smelt_cdc_unit_${Math.random().toString(36).slice(2, 8)}`;
const adapters: Adapter[] = [];

afterAll(async () => {
  for (const adapter of adapters) {
    if (adapter.type === 'postgres') {
      const connection = await adapter.acquire();
      await connection.execute(`drop schema if exists "${schema}" cascade`);
      await connection.release();
    }
    await adapter.close();
  }
});

/** A project folder: each file is a fixture's name or, when it starts with `{`, its text. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'smelt-cdc-load-'));
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    if (from.startsWith('{')) writeFileSync(join(root, path), from);
    else copyFileSync(join(FIXTURES, from), join(root, path));
  }
  return root;
}

function source(identifier: string, onError: 'fail' | 'quarantine' = 'fail'): CdcSource {
  return {
    uniqueId: `source.p.cdc.${identifier}`, name: `cdc.${identifier}`, path: 'models/sources.yml',
    relation: { schema, identifier }, config: { path: ['cdc/*.ndjson'], format: 'debezium', primary_key: ['id'], on_error: onError },
    key: [{ name: 'id', dataType: 'integer' }], columns: [],
  };
}

async function rows(adapter: Adapter, table: string): Promise<number> {
  const connection = await adapter.acquire();
  try {
    const [row] = await connection.query<{ n: number | bigint }>(`select count(*) as n from "${schema}"."${table}"`);
    return Number(row!.n);
  } finally {
    await connection.release();
  }
}

describe.each(await dialects())('loadChanges on %s', (dialect) => {
  const adapter: Adapter = dialect === 'duckdb'
    ? new DuckdbAdapter({ path: join(mkdtempSync(join(tmpdir(), 'smelt-cdc-')), 'w.duckdb'), threads: 2 })
    : new PostgresAdapter({ ...PG, threads: 2 });
  adapters.push(adapter);

  it('loads across batch borders; a duplicate in a later batch of the same file is stored once', async () => {
    const first = JSON.parse(fixtureLine('stream-1.ndjson', 0)) as Record<string, unknown>;
    const root = project({ 'cdc/a.ndjson': 'snapshot.ndjson', 'cdc/b.ndjson': `${[fixtureLine('stream-1.ndjson', 0), fixtureLine('stream-1.ndjson', 1), fixtureLine('stream-1.ndjson', 2), JSON.stringify({ ...first, ts_ms: 1 })].join('\n')}\n` });
    const report = await loadChanges({ adapter, source: source('batched'), root, batchSize: 2 });
    expect([report.files, report.events, report.newEvents, report.duplicates]).toEqual([2, 7, 6, 1]);
    expect(await rows(adapter, 'batched')).toBe(6);
    const again = await loadChanges({ adapter, source: source('batched'), root, batchSize: 2 });
    expect([again.files, again.unchangedFiles, again.newEvents]).toEqual([0, 2, 0]);
  });

  it('rolls everything back when an event after several sent batches is malformed', async () => {
    const root = project({ 'cdc/a.ndjson': 'snapshot.ndjson', 'cdc/b.ndjson': 'stream-1.ndjson', 'cdc/c.ndjson': 'malformed.ndjson' });
    const error = await loadChanges({ adapter, source: source('rolled_back'), root, batchSize: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as MalformedEventError).where).toBe('cdc/c.ndjson:2');
    const connection = await adapter.acquire();
    const exists = await adapter.getRelation(connection, { schema, identifier: 'rolled_back' });
    await connection.release();
    expect(exists).toBeUndefined();
  });

  it('names a .gz file that is not gzip or ends early, keeps nothing, or with quarantine keeps the events before the damage', async () => {
    const lines = [0, 1, 2].map((i) => fixtureLine('stream-1.ndjson', i)).join('\n') + '\n';
    const gz = (identifier: string, onError: 'fail' | 'quarantine' = 'fail'): CdcSource => ({ ...source(identifier, onError), config: { ...source(identifier, onError).config, path: ['cdc/*.gz'] } });
    const cut = project({});
    mkdirSync(join(cut, 'cdc'));
    // All three events, without the gzip trailer: the stream ends early after line 3.
    const whole = gzipSync(lines);
    writeFileSync(join(cut, 'cdc/a.ndjson.gz'), whole.subarray(0, whole.length - 8));
    const failed = await loadChanges({ adapter, source: gz('gz_cut'), root: cut, batchSize: 2 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MalformedEventError);
    expect((failed as MalformedEventError).where).toBe('cdc/a.ndjson.gz:4');
    expect((failed as MalformedEventError).message).toMatch(/cannot be read as gzip after line 3/);
    const kept = await loadChanges({ adapter, source: gz('gz_kept', 'quarantine'), root: cut, batchSize: 2 });
    expect([kept.newEvents, kept.rejected]).toEqual([3, 1]);
    const notGzip = project({});
    mkdirSync(join(notGzip, 'cdc'));
    writeFileSync(join(notGzip, 'cdc/b.ndjson.gz'), 'not gzip');
    const wrong = await loadChanges({ adapter, source: gz('gz_wrong'), root: notGzip }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(MalformedEventError);
    expect((wrong as MalformedEventError).where).toBe('cdc/b.ndjson.gz:1');
  });

  it('refuses, or quarantines, an event whose value its column type cannot read', async () => {
    const good = fixtureLine('stream-1.ndjson', 0);
    const parsed = JSON.parse(good) as { payload?: { after?: Record<string, unknown> }; after?: Record<string, unknown> };
    const after = parsed.payload?.after ?? parsed.after!;
    const badKey = JSON.stringify(parsed).replace(JSON.stringify(after), JSON.stringify({ ...after, id: 'abc' }));
    const root = project({ 'cdc/a.ndjson': `${good}\n${badKey}\n` });
    const failed = await loadChanges({ adapter, source: source('typed'), root }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MalformedEventError);
    expect((failed as MalformedEventError).where).toBe('cdc/a.ndjson:2');
    expect((failed as MalformedEventError).message).toMatch(/id is "abc", not a whole number/);
    const kept = await loadChanges({ adapter, source: source('typed_kept', 'quarantine'), root });
    expect([kept.newEvents, kept.rejected]).toEqual([1, 1]);
  });

  it('quarantines bad events in batches too', async () => {
    const root = project({ 'cdc/c.ndjson': 'malformed.ndjson' });
    const report = await loadChanges({ adapter, source: source('quarantined', 'quarantine'), root, batchSize: 2 });
    expect([report.newEvents, report.rejected]).toEqual([2, 3]);
    expect(await rows(adapter, 'quarantined__rejects')).toBe(3);
  });
});

/** The index-th event line of a fixture file (tombstones left out). */
function fixtureLine(name: string, index: number): string {
  return readFileSync(join(FIXTURES, name), 'utf8').split('\n').filter((l) => l.trim() && l.trim() !== 'null')[index]!;
}
