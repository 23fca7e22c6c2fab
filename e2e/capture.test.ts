import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../cli/main.js';
// The demo's operational database (a plain script, shared with `node bench/cdc/live-demo.mjs`).
import { changes as demoChanges, setup as demoSetup } from '../bench/cdc/live-demo.mjs';
import { hasLogicalDecoding } from './support/logical-decoding.js';
import { dialects, FixtureProject, PG, type DialectName } from './support/project.js';

/*
 * Live capture end to end: the local PostgreSQL is the operational database (its tables are
 * changed by the test), `smelt capture` reads a pgoutput slot into change logs on DuckDB and on
 * PostgreSQL, and after every capture the derived current state (cdc_current) must equal the
 * source tables, with no change missing and none twice. Needs wal_level=logical (.ci/run sets
 * it): skipped with a notice without it, a failure under CI=true.
 */
const logical = await hasLogicalDecoding();
const DIALECTS = await dialects();
const REPO = join(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'smelt.js');
const RUN = Math.random().toString(36).slice(2, 8);

let admin: pg.Client;
const projects: FixtureProject[] = [];
const slots = new Set<string>();
const schemas = new Set<string>();
let counter = 0;

beforeAll(async () => {
  if (!logical) return;
  if (!existsSync(join(REPO, 'dist', 'cli', 'capture.js'))) throw new Error('dist/ has no capture command: run `npm run build` first (npm test does)');
  admin = new pg.Client(PG);
  await admin.connect();
});

/** Slots hold WAL for as long as they exist (and max_replication_slots is small): each test drops its own. */
async function dropSlot(slot: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await admin.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [slot]);
    if (rows.length === 0) break;
    // A capture killed mid-read leaves its server session running until that read ends.
    if (rows[0]!.pid) await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]).catch(() => undefined);
    if (await admin.query('select pg_drop_replication_slot($1)', [slot]).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await admin.query(`drop publication if exists "${slot}"`);
  slots.delete(slot);
}

afterAll(async () => {
  if (!admin) return;
  for (const slot of slots) await dropSlot(slot);
  for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.end();
  await Promise.all(projects.map((p) => p.cleanup()));
});

/** A schema of the operational database for one test, and the slot that captures it. */
async function operational(ddl: string[]): Promise<{ schema: string; slot: string; sql: (text: string, params?: unknown[]) => Promise<pg.QueryResult> }> {
  const n = ++counter;
  const schema = `smelt_cap_${RUN}_${n}`;
  const slot = `smelt_cap_${RUN}_${n}`;
  schemas.add(schema);
  slots.add(slot);
  onTestFinished(() => dropSlot(slot));
  await admin.query(`create schema ${schema}`);
  for (const statement of ddl) await admin.query(statement.replaceAll('{s}', schema));
  return { schema, slot, sql: (text, params) => admin.query(text.replaceAll('{s}', schema), params as unknown[]) };
}

interface LiveTable {
  name: string;
  key: string | string[];
  columns: string;
}

function liveProject(dialect: DialectName, schema: string, slot: string, tables: LiveTable[], models: Record<string, string>): FixtureProject {
  const project = new FixtureProject(dialect, models);
  projects.push(project);
  const entries = tables.map((t, i) => `      - name: ${t.name}
        cdc:
          primary_key: ${JSON.stringify(t.key)}
          table: ${schema}.${t.name}
          capture: ${i === 0 ? `&capture
            connection: {host: "{{ env_var('SMELT_TEST_OPS_HOST', '${PG.host}') }}", port: ${PG.port}, user: ${PG.user}, database: ${PG.database}}
            slot: ${slot}
            create_slot: true` : '*capture'}
        columns:${t.columns}`);
  project.write({ 'models/sources.yml': `version: 2\nsources:\n  - name: live\n    schema: ${project.schemaFor('cdc')}\n    tables:\n${entries.join('\n')}\n` });
  return project;
}

const current = (source: string) => `{{ config(materialized='cdc_current') }}\nselect * from {{ source('live', '${source}') }}\n`;
const history = (source: string) => `{{ config(materialized='cdc_history') }}\nselect * from {{ source('live', '${source}') }}\n`;

/** Rows as text on both databases, for comparing a source table with what was derived from it. */
const asText = (columns: string[]) => columns.map((c) => `cast(${c} as varchar) as ${c}`).join(', ');

async function sourceRows(table: string, columns: string[], order: string): Promise<Record<string, unknown>[]> {
  return (await admin.query(`select ${asText(columns)} from ${table} order by ${order}`)).rows;
}

async function derivedRows(project: FixtureProject, model: string, columns: string[], order: string): Promise<Record<string, unknown>[]> {
  return project.query(`select ${asText(columns)} from ${project.schema}.${model} order by ${order}`);
}

async function changeLog(project: FixtureProject, table: string): Promise<{ events: number; distinct: number }> {
  const [row] = await project.query<{ events: number | string; distinct_changes: number | string }>(
    `select count(*) as events, count(distinct concat(_cdc_table, '|', _cdc_op, '|', _cdc_lsn, '|', _cdc_key)) as distinct_changes from ${project.schemaFor('cdc')}.${table}`,
  );
  return { events: Number(row!.events), distinct: Number(row!.distinct_changes) };
}

async function slotPosition(slot: string): Promise<string | undefined> {
  const { rows } = await admin.query<{ lsn: string }>('select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1', [slot]);
  return rows[0]?.lsn;
}

async function ok(project: FixtureProject, ...args: string[]): Promise<string> {
  const result = await project.cli(...args);
  expect(result.code, `smelt ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

/** `node bin/smelt.js capture ...` in the project; kill it with `signal` after `ms` (or let it end). */
function spawnCapture(project: FixtureProject, args: string[], options: { killAfterMs?: number; signal?: NodeJS.Signals; env?: Record<string, string> } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const child = spawn(process.execPath, [BIN, 'capture', ...args], { cwd: project.dir, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill(options.signal ?? 'SIGKILL'), options.killAfterMs);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, output });
  }));
}

const CUSTOMER_COLUMNS = ['id', 'name', 'email', 'tier', 'balance', 'signup_date', 'updated_at', 'vip'];
const CUSTOMERS: LiveTable = {
  name: 'customers',
  key: 'id',
  columns: `
          - {name: id, data_type: integer}
          - {name: name, data_type: varchar}
          - {name: email, data_type: varchar}
          - {name: tier, data_type: varchar}
          - {name: balance, data_type: "decimal(12, 2)"}
          - {name: signup_date, data_type: date}
          - {name: updated_at, data_type: timestamp}
          - {name: vip, data_type: boolean}`,
};
const ORDER_COLUMNS = ['order_id', 'line', 'qty', 'note'];
const ORDERS: LiveTable = {
  name: 'orders',
  key: ['order_id', 'line'],
  columns: `
          - {name: order_id, data_type: integer}
          - {name: line, data_type: integer}
          - {name: qty, data_type: integer}
          - {name: note, data_type: varchar}`,
};

describe.skipIf(!logical)('live capture from PostgreSQL', () => {
  describe.each(DIALECTS)('into %s', (dialect) => {
    it('takes a consistent snapshot, then every insert, update, key change, delete and truncate; the current state equals the source after each capture', async () => {
      const ops = await operational([
        `create table {s}.customers (id integer primary key, name text not null, email text, tier text, balance numeric(12, 2), signup_date date, updated_at timestamp, vip boolean)`,
        `create table {s}.orders (order_id integer, line integer, qty integer, note text, primary key (order_id, line))`,
        `insert into {s}.customers values (1, 'Ada', 'ada@example.com', 'gold', 100.00, '2024-01-01', '2024-01-01 10:00:00', true),
           (2, 'Bob', 'bob@example.com', 'silver', 20.50, '2024-01-02', '2024-01-01 10:00:00.123456', false), (3, 'Cy', null, 'bronze', 0, '2024-01-03', null, null)`,
        `insert into {s}.orders values (1, 1, 2, 'first'), (1, 2, 1, null), (2, 1, 5, 'bulk')`,
      ]);
      const project = liveProject(dialect, ops.schema, ops.slot, [CUSTOMERS, ORDERS], {
        'models/customers_current.sql': current('customers'),
        'models/customers_history.sql': history('customers'),
        'models/orders_current.sql': current('orders'),
      });
      const check = async (label: string) => {
        await ok(project, 'run');
        expect(await derivedRows(project, 'customers_current', CUSTOMER_COLUMNS, 'id'), `customers after ${label}`).toEqual(await sourceRows(`${ops.schema}.customers`, CUSTOMER_COLUMNS, 'id'));
        expect(await project.query(`select ${asText(CUSTOMER_COLUMNS)} from ${project.schema}.customers_history where is_current order by id`), `current versions after ${label}`).toEqual(await sourceRows(`${ops.schema}.customers`, CUSTOMER_COLUMNS, 'id'));
        expect(await derivedRows(project, 'orders_current', ORDER_COLUMNS, 'order_id, line'), `orders after ${label}`).toEqual(await sourceRows(`${ops.schema}.orders`, ORDER_COLUMNS, 'order_id, line'));
        for (const table of ['customers', 'orders']) {
          const log = await changeLog(project, table);
          expect(log.distinct, `no change twice in ${table} after ${label}`).toBe(log.events);
        }
      };

      const checked = await ok(project, 'capture', '--check');
      expect(checked).toContain(`${ops.schema}.customers: 8 columns, REPLICA IDENTITY DEFAULT (primary key)`);
      expect(checked).toContain(`slot ${ops.slot}: missing (capture creates it and takes the initial snapshot)`);

      // A write racing the slot's creation is either in the snapshot or among the changes, never both or neither.
      const racing = ops.sql(`insert into {s}.customers values (99, 'Racer', null, null, null, null, null, null)`);
      const first = await ok(project, 'capture', '--once');
      await racing;
      expect(first).toContain(`Created publication ${ops.slot}`);
      expect(first).toMatch(/initial snapshot at [0-9A-F]+\/[0-9A-F]+: \d rows/);
      await ok(project, 'capture', '--once');
      await check('the snapshot');
      const snapshotOps = await project.query<{ op: string; n: number | string }>(`select _cdc_op as op, count(*) as n from ${project.schemaFor('cdc')}.orders group by _cdc_op`);
      expect(snapshotOps.map((r) => [r.op, Number(r.n)])).toEqual([['r', 3]]);

      // Inserts, an update, a primary-key update (2 -> 20), a delete, a transaction of several changes; composite keys.
      await ops.sql(`insert into {s}.customers values (4, 'Dee', 'dee@example.com', 'silver', 5.25, '2024-02-01', '2024-02-01 09:30:00.123456', false), (5, 'Eve', 'eve@example.com', 'bronze', 1, '2024-02-02', '2024-02-02 08:00:00', false)`);
      await ops.sql(`update {s}.customers set tier = 'platinum', balance = balance + 10, updated_at = '2024-02-03 12:00:00' where id = 1`);
      await ops.sql(`update {s}.customers set id = 20, updated_at = '2024-02-04 12:00:00' where id = 2`);
      await ops.sql(`delete from {s}.customers where id = 3`);
      await ops.sql(`begin; insert into {s}.customers values (6, 'six', null, null, null, null, null, null); update {s}.customers set name = 'Six', vip = true where id = 6; update {s}.orders set line = 3 where order_id = 1 and line = 2; delete from {s}.orders where order_id = 2; commit`);
      await ops.sql(`update {s}.orders set qty = qty + 1, note = 'it''s "quoted", über' where order_id = 1 and line = 1`);
      const second = await ok(project, 'capture', '--once');
      expect(second).toContain('6 transactions, 12 events');
      await check('inserts, updates, key changes and deletes');
      const moved = await project.query<{ id: number; op: string }>(`select id, op from ${project.schema}.customers_history where id in (2, 20) order by valid_from, id`);
      expect(moved.map((r) => [Number(r.id), r.op])).toEqual([[2, 'r'], [2, 'd'], [20, 'c']]);

      // REPLICA IDENTITY FULL: updates and deletes carry the whole old row.
      await ops.sql(`alter table {s}.customers replica identity full`);
      await ops.sql(`update {s}.customers set email = 'dee@new.example.com' where id = 4`);
      await ops.sql(`delete from {s}.customers where id = 5`);
      await ok(project, 'capture', '--once');
      await check('changes under REPLICA IDENTITY FULL');
      const deleted = await project.query<{ name: string }>(`select name from ${project.schema}.customers_history where id = 5 and op = 'd'`);
      expect(deleted).toEqual([{ name: 'Eve' }]);
      const before = await project.query<{ before: string }>(`select cast(_cdc_before as varchar) as before from ${project.schemaFor('cdc')}.customers where _cdc_op = 'u' and _cdc_key = '[4]'`);
      expect(JSON.parse(before[0]!.before)).toMatchObject({ id: 4, email: 'dee@example.com', tier: 'silver' });

      // A truncate, and life after it.
      await ops.sql(`truncate {s}.customers`);
      await ops.sql(`insert into {s}.customers values (7, 'Gus', 'gus@example.com', 'gold', 7, '2024-03-01', '2024-03-01 00:00:00', true), (1, 'Ada', 'ada@example.com', 'gold', 1, '2024-01-01', '2024-03-01 00:00:00', true)`);
      await ops.sql(`update {s}.customers set id = 70 where id = 7`);
      await ok(project, 'capture', '--once');
      await check('a truncate');
      const versions = await project.query<{ op: string; tier: string | null }>(`select op, tier from ${project.schema}.customers_history where id = 1 order by valid_from, _cdc_lsn`);
      expect(versions).toEqual([{ op: 'r', tier: 'gold' }, { op: 'u', tier: 'platinum' }, { op: 't', tier: null }, { op: 'c', tier: 'gold' }]);

      // Nothing new: nothing added, and the slot stays where it was.
      const events = await changeLog(project, 'customers');
      const again = await ok(project, 'capture', '--once');
      expect(again).toContain('0 changes: 0 new');
      expect(await changeLog(project, 'customers')).toEqual(events);

      // --full-refresh: a new slot, a new snapshot, the change logs rebuilt from it.
      const refreshed = await ok(project, 'capture', '--once', '--full-refresh');
      expect(refreshed).toContain(`Dropped slot ${ops.slot} and the change logs of live.customers, live.orders`);
      expect(refreshed).toMatch(/initial snapshot at [0-9A-F]+\/[0-9A-F]+: 4 rows/);
      expect(await changeLog(project, 'customers')).toEqual({ events: 2, distinct: 2 });
      expect((await ok(project, 'run', '--full-refresh'))).toContain('cdc_current');
      await check('--full-refresh');

      // --drop-slot: the slot (and the publication smelt made) are gone.
      const dropped = await ok(project, 'capture', '--drop-slot');
      expect(dropped).toContain(`Dropped slot ${ops.slot}`);
      expect(await slotPosition(ops.slot)).toBeUndefined();
      expect((await admin.query('select 1 from pg_publication where pubname = $1', [ops.slot])).rows).toEqual([]);
    });

    it('a 20,000-row transaction arrives whole, and a backlog drains in batches', async () => {
      const ops = await operational([`create table {s}.big (id integer primary key, grp integer not null, value numeric(12, 2), label text)`]);
      const project = liveProject(dialect, ops.schema, ops.slot, [{
        name: 'big', key: 'id', columns: `
          - {name: id, data_type: integer}
          - {name: grp, data_type: integer}
          - {name: value, data_type: "decimal(12, 2)"}
          - {name: label, data_type: varchar}`,
      }], { 'models/big_current.sql': current('big') });
      await ok(project, 'capture', '--once');
      await ops.sql(`begin; insert into {s}.big select g, g % 10, g / 100.0, 'row ' || g from generate_series(1, 20000) as g; update {s}.big set value = value * 2 where grp < 5; commit`);
      const started = performance.now();
      const big = await ok(project, 'capture', '--once', '--batch-size', '5000');
      const seconds = (performance.now() - started) / 1000;
      expect(big).toContain('1 transaction, 30000 events');
      console.log(`[capture on ${dialect}] one transaction of 30,000 changes in ${seconds.toFixed(2)}s (${Math.round(30000 / seconds).toLocaleString('en-US')} events/s, including process start and checks)`);
      // A backlog of small transactions: several batches, each whole transactions.
      for (let i = 0; i < 60; i++) await ops.sql(`update {s}.big set label = 'v${i}' where id between ${i * 10 + 1} and ${i * 10 + 10}`);
      const backlog = await ok(project, 'capture', '--once', '--batch-size', '100');
      expect(backlog.match(/\d+ transactions?, \d+ events/g)!.length).toBeGreaterThan(3);
      expect(await changeLog(project, 'big')).toEqual({ events: 30600, distinct: 30600 });
      await ok(project, 'run');
      const columns = ['id', 'grp', 'value', 'label'];
      expect(await derivedRows(project, 'big_current', columns, 'id')).toEqual(await sourceRows(`${ops.schema}.big`, columns, 'id'));
    });

    it('a capture killed (SIGKILL) mid-way and run again loses no change and stores none twice', async () => {
      const ops = await operational([
        `create table {s}.accounts (id integer primary key, balance integer not null, note text)`,
        `insert into {s}.accounts select g, 100, null from generate_series(1, 50) as g`,
      ]);
      const project = liveProject(dialect, ops.schema, ops.slot, [{
        name: 'accounts', key: 'id', columns: `
          - {name: id, data_type: integer}
          - {name: balance, data_type: integer}
          - {name: note, data_type: varchar}`,
      }], { 'models/accounts_current.sql': current('accounts') });
      await ok(project, 'capture', '--once');
      let expected = 50;

      // Killed right after the change log committed, before the slot moved: the batch comes again and is recognised.
      await ops.sql(`update {s}.accounts set balance = balance + 1 where id <= 10`);
      expected += 10;
      const position = await slotPosition(ops.slot);
      const crashed = await spawnCapture(project, ['--once'], { env: { SMELT_TEST_CAPTURE_CRASH: 'after-append' } });
      expect(crashed.signal, crashed.output).toBe('SIGKILL');
      expect(await slotPosition(ops.slot)).toBe(position);
      // (The change log is read only once smelt has opened the warehouse again: on DuckDB, smelt
      // is the one that recovers the file right; see core/adapters/duckdb/duckdb-adapter.ts.)
      const redelivered = await ok(project, 'capture', '--once');
      expect(redelivered).toContain('10 already loaded');
      expect(await changeLog(project, 'accounts')).toEqual({ events: expected, distinct: expected });

      // Killed at random moments while the application keeps writing.
      let writing = true;
      let changes = 0;
      let nextId = 1000;
      const writer = (async () => {
        const client = new pg.Client(PG);
        await client.connect();
        try {
          for (let i = 0; writing; i++) {
            const id = 1 + (i % 50);
            await client.query('begin');
            changes += (await client.query(`update ${ops.schema}.accounts set balance = balance + 1, note = $1 where id = $2`, [`tx ${i}`, id])).rowCount ?? 0;
            changes += (await client.query(`insert into ${ops.schema}.accounts values ($1, $2, null)`, [nextId, i])).rowCount ?? 0;
            if (i % 3 === 0) changes += (await client.query(`delete from ${ops.schema}.accounts where id = $1`, [nextId - 2])).rowCount ?? 0;
            if (i % 5 === 0) changes += 2 * ((await client.query(`update ${ops.schema}.accounts set id = $1 where id = $2`, [nextId + 100_000, nextId - 1])).rowCount ?? 0);
            nextId++;
            await client.query('commit');
            await new Promise((r) => setTimeout(r, 2));
          }
        } finally {
          await client.end();
        }
      })();
      for (const ms of [700, 1100, 900, 1500]) {
        const killed = await spawnCapture(project, ['--poll', '0.05', '--batch-size', '60'], { killAfterMs: ms });
        expect(killed.signal, killed.output).toBe('SIGKILL');
      }
      // SIGTERM: the capture finishes its batch and stops cleanly.
      const stopped = await spawnCapture(project, ['--poll', '0.05'], { killAfterMs: 3000, signal: 'SIGTERM' });
      expect([stopped.code, stopped.signal], stopped.output).toEqual([0, null]);
      expect(stopped.output).toContain('Stopped.');
      writing = false;
      await writer;
      expected += changes;
      expect(changes).toBeGreaterThan(100);

      await ok(project, 'capture', '--once');
      expect(await changeLog(project, 'accounts')).toEqual({ events: expected, distinct: expected });
      await ok(project, 'run');
      const columns = ['id', 'balance', 'note'];
      expect(await derivedRows(project, 'accounts_current', columns, 'id')).toEqual(await sourceRows(`${ops.schema}.accounts`, columns, 'id'));
    });
  });

  it('refuses tables whose deletes would carry no key, with the file, the line and what to run', async () => {
    const ops = await operational([
      `create table {s}.nokey (id integer, v text)`,
      `create table {s}.nothing (id integer primary key, v text)`,
      `alter table {s}.nothing replica identity nothing`,
    ]);
    const columns = `\n          - {name: id, data_type: integer}`;
    const project = liveProject('duckdb', ops.schema, ops.slot, [{ name: 'nokey', key: 'id', columns }, { name: 'nothing', key: 'id', columns }], {});
    const result = await project.cli('capture', '--once');
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(`${ops.schema}.nokey has no primary key and REPLICA IDENTITY DEFAULT`);
    expect(result.stderr).toContain(`ALTER TABLE ${ops.schema}.nokey ADD PRIMARY KEY (id);`);
    expect(result.stderr).toContain(`${ops.schema}.nothing has REPLICA IDENTITY NOTHING`);
    expect(result.stderr).toContain(`ALTER TABLE ${ops.schema}.nothing REPLICA IDENTITY DEFAULT;`);
    expect(result.stderr).toMatch(/--> models\/sources\.yml:\d+ \(source\.fixture\.live\.nokey\)/);
    expect(result.stderr).not.toContain('    at ');
    // Nothing was created on the operational database.
    expect(await slotPosition(ops.slot)).toBeUndefined();
    expect((await admin.query('select 1 from pg_publication where pubname = $1', [ops.slot])).rows).toEqual([]);
  });

  it('the demo project takes its CDC tables live with --vars {shop_cdc_source: shop_live}', async () => {
    const demo = mkdtempSync(join(tmpdir(), 'smelt-capture-demo-'));
    try {
      for (const entry of ['project.yml', 'models', 'seeds', 'macros', 'snapshots', 'tests', 'cdc']) {
        if (existsSync(join(REPO, entry))) cpSync(join(REPO, entry), join(demo, entry), { recursive: true });
      }
      const ops = await operational([]);
      const yml = join(demo, 'models/bronze/cdc_live_sources.yml');
      writeFileSync(yml, readFileSync(yml, 'utf8').replaceAll('shop_ops', ops.schema).replaceAll('smelt_shop', ops.slot));
      await demoSetup(admin, ops.schema);
      const cli = async (...args: string[]) => {
        let out = '';
        const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: demo, env: { ...process.env, NO_COLOR: '1', PGHOST: PG.host, PGPORT: String(PG.port), PGUSER: PG.user, SHOP_OPS_DATABASE: PG.database }, isTty: false });
        expect(code, out).toBe(0);
        return out;
      };
      const live = ['--vars', '{shop_cdc_source: shop_live}'];
      const select = ['-s', 'slv_customers_cdc', 'slv_products_history', 'slv_salesorders_current+'];
      const query = async (sql: string) => {
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const instance = await DuckDBInstance.create(join(demo, 'target/smelt.duckdb'));
        const connection = await instance.connect();
        try {
          return (await connection.runAndReadAll(sql)).getRowObjectsJson();
        } finally {
          connection.closeSync();
          instance.closeSync();
        }
      };
      const compare = async () => {
        const customers = ['customer_id', 'email', 'country'];
        expect(await query(`select ${asText(customers)} from main_silver.slv_customers_cdc order by customer_id`)).toEqual(await sourceRows(`${ops.schema}.customers`, customers, 'customer_id'));
        const byStatus = (await query(`select status, cast(orders as integer) as orders from main_gold.kpi_order_status order by status`)).map((r) => ({ ...r }));
        expect(byStatus).toEqual((await admin.query(`select status, count(*)::int as orders from ${ops.schema}.salesorders group by status order by status`)).rows);
        const [prices] = await query(`select count(*) as versions, count(distinct product_id) as products from main_silver.slv_products_history`);
        expect(Number(prices!.products)).toBe(25);
        return Number(prices!.versions);
      };
      const first = await cli('build', ...live, ...select);
      expect(first).toMatch(/OK\s+capture\s+shop_live\.salesorders/);
      expect(first).toContain('snapshot of 60 rows');
      expect(await compare()).toBe(25);
      await demoChanges(admin, 1, ops.schema);
      const second = await cli('build', ...live, ...select);
      expect(second).toMatch(/shop_live\.products[ .]+\d+ rows/);
      expect(await compare()).toBeGreaterThan(25);
      // The files stay the default: the same models read shop_cdc.
      await cli('compile');
      const manifest = JSON.parse(readFileSync(join(demo, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, { dependsOn: { nodes: string[] } }> };
      expect(manifest.nodes['model.shop.slv_customers_cdc']!.dependsOn.nodes).toEqual(['source.shop.shop_cdc.customers']);
    } finally {
      rmSync(demo, { recursive: true, force: true });
    }
  });
});
