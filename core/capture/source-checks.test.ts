import { describe, expect, it } from 'vitest';
import type { Row } from '../adapters/adapter.js';
import type { ReplicationSource } from '../adapters/replication.js';
import { SmeltErrors, type SmeltError } from '../errors.js';
import type { CaptureGroup } from './capture-config.js';
import { checkServer, checkTables } from './source-checks.js';

/** Answers the checks' queries from canned rows, picked by a word in the SQL. */
function fakeDb(answers: Record<string, Row[]>): ReplicationSource {
  return {
    where: 'app@ops:5432/shop',
    query: async <T extends Row>(sql: string) => (Object.entries(answers).find(([word]) => sql.includes(word))?.[1] ?? []) as T[],
    stream: async () => 0,
    createSlotWithSnapshot: async () => { throw new Error('not here'); },
    tryLock: async () => true,
    close: async () => undefined,
  };
}

const group = {
  slot: 'shop', publication: 'shop', createSlot: true, snapshot: 'initial', file: 'models/sources.yml', line: 9,
  connection: { host: 'ops', port: 5432, user: 'app', database: 'shop', applicationName: 'test' },
  sources: [{
    schema: 'public', table: 'customers', line: 12,
    source: { uniqueId: 'source.p.live.customers', name: 'live.customers', path: 'models/sources.yml', relation: { schema: 'live', identifier: 'customers' }, config: { path: [], format: 'debezium', primary_key: ['id'], on_error: 'fail' }, key: [{ name: 'id' }], columns: [] },
  }],
} as CaptureGroup;

const server = (wal: string, may = true) => ({ wal_level: [{ wal_level: wal, slots: '10', may, version: '150000' }] });

async function errorsOf(promise: Promise<unknown>): Promise<SmeltError[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmeltErrors) return error.errors;
    return [error as SmeltError];
  }
  return [];
}

describe('setup checks', () => {
  it('wal_level other than logical says what to change, and where the capture is declared', async () => {
    const [error] = await errorsOf(checkServer(fakeDb(server('replica')), group));
    expect(error!.message).toBe('PostgreSQL at app@ops:5432/shop has wal_level=replica: live capture needs wal_level=logical');
    expect(error!.hint).toContain("ALTER SYSTEM SET wal_level = 'logical'");
    expect(error!.hint).toContain('restart');
    expect(error!.where).toBe('models/sources.yml:9');
    expect(await errorsOf(checkServer(fakeDb(server('logical')), group))).toEqual([]);
  });

  it('a user without REPLICATION is told how to get it', async () => {
    const [error] = await errorsOf(checkServer(fakeDb(server('logical', false)), group));
    expect(error!.hint).toContain('ALTER ROLE app REPLICATION');
  });

  it('replica identity: NOTHING, DEFAULT without a primary key, and a key that deletes do not carry', async () => {
    const table = (ident: string, pk: string[] | null, indexKey: string[] | null = null) => fakeDb({
      relreplident: [{ oid: '1', relkind: 'r', ident, pk, index_key: indexKey }],
      attname: [{ name: 'id', type_oid: '23', typmod: -1, base_oid: '23' }, { name: 'email', type_oid: '25', typmod: -1, base_oid: '25' }],
    });
    const [nothing] = await errorsOf(checkTables(table('n', ['id']), group));
    expect(nothing!.message).toContain('public.customers has REPLICA IDENTITY NOTHING');
    expect(nothing!.hint).toContain('ALTER TABLE public.customers REPLICA IDENTITY DEFAULT;');
    expect(nothing!.where).toBe('models/sources.yml:12');
    const [noKey] = await errorsOf(checkTables(table('d', null), group));
    expect(noKey!.message).toContain('has no primary key and REPLICA IDENTITY DEFAULT');
    expect(noKey!.hint).toContain('ALTER TABLE public.customers ADD PRIMARY KEY (id);');
    const [other] = await errorsOf(checkTables(table('i', ['id'], ['email']), group));
    expect(other!.message).toContain('REPLICA IDENTITY USING INDEX sends email');
    const tables = await checkTables(table('f', null), group);
    expect(tables.get('public.customers')?.columns.map((c) => c.name)).toEqual(['id', 'email']);
  });
});
