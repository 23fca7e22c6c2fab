import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { CsvBulkLoad } from '../adapter.js';
import { DuckdbAdapter } from './duckdb-adapter.js';
import { LeanLoad } from './lean-load.js';

// A seed's load lowers instance-wide settings: they must always come back.
const dir = mkdtempSync(join(tmpdir(), 'smelt-lean-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SETTINGS = `select current_setting('threads')::varchar as threads, current_setting('memory_limit') as memory_limit, current_setting('preserve_insertion_order') as ordered`;

describe('LeanLoad', () => {
  it('lowers threads and the memory limit only when alone, and puts them back', async () => {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    const settings = async (): Promise<unknown> => (await connection.runAndReadAll(SETTINGS)).getRowObjectsJson()[0];
    try {
      const before = await settings();
      const lean = new LeanLoad();
      expect(await lean.enter(connection, false)).toBe(false);
      expect(await settings()).toEqual(before);
      expect(await lean.enter(connection, true)).toBe(true);
      expect(await settings()).toMatchObject({ threads: '1', memory_limit: expect.stringMatching(/^9\d\.\d MiB$/), ordered: true });
      expect(lean.active).toBe(true);
      await lean.leave(connection);
      expect(lean.active).toBe(false);
      expect(await settings()).toEqual(before);
      // A load that need not keep file order: two threads, no ordered insert, the same limit.
      await connection.run('set threads = 3');
      const three = await settings();
      expect(await lean.enter(connection, true, { keepOrder: false })).toBe(true);
      expect(await settings()).toMatchObject({ threads: '2', memory_limit: expect.stringMatching(/^9\d\.\d MiB$/), ordered: false });
      await lean.leave(connection);
      expect(await settings()).toEqual(three);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('the adapter restores them after a load, whether it succeeds or fails, and for another connection', async () => {
    const adapter = new DuckdbAdapter({ path: join(dir, 'w.duckdb'), threads: 2 });
    const connection = await adapter.acquire();
    try {
      const [before] = await connection.query(SETTINGS);
      const file = join(dir, 'x.csv');
      const load = (body: string): CsvBulkLoad => {
        writeFileSync(file, `id,name\n${body}`);
        return {
          relation: { schema: 'main', identifier: 't' }, path: file, open: () => Readable.from([]),
          columns: [{ name: 'id', type: 'integer' }, { name: 'name', type: 'text' }], delimiter: ',', header: true, skipLines: 0,
        };
      };
      expect((await adapter.bulkLoadCsv(connection, load('1,a\n2,b\n'))).rows).toBe(2);
      expect((await connection.query(SETTINGS))[0]).toEqual(before);
      await expect(adapter.bulkLoadCsv(connection, load('x,a\n'))).rejects.toThrow();
      expect((await connection.query(SETTINGS))[0]).toEqual(before);
      // Rows keep the file's order.
      expect(await connection.query('select id from main.t')).toEqual([{ id: 1 }, { id: 2 }]);
      await connection.execute('drop table main.t');
      expect((await adapter.bulkLoadCsv(connection, { ...load('1,a\n2,b\n3,c\n'), keepOrder: false })).rows).toBe(3);
      expect((await connection.query(SETTINGS))[0]).toEqual(before);
    } finally {
      connection.release();
      await adapter.close();
    }
  });
});
