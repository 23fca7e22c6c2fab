import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { ChangeCapture, hasLogicalDecoding, ndjson } from './support/logical-decoding.js';
import { dialects, FixtureProject, PG, type DialectName } from './support/project.js';
import { runResults } from './support/test-output.js';

/*
 * CDC sources end to end, on every dialect: Debezium change events (hand-written files for each
 * edge case under e2e/fixtures/cdc/) loaded by `smelt ingest` into a change log, and the
 * cdc_current / cdc_history models derived from it, incrementally; then real change events
 * captured from PostgreSQL with logical decoding, whose derived current state must equal the
 * source table after every batch.
 */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cdc');
const fixtureText = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function sourcesYaml(schema: string, options: { onError?: string } = {}): string {
  return `version: 2
sources:
  - name: shop_cdc
    schema: ${schema}
    tables:
      - name: customers
        cdc:
          path: cdc/customers/*.ndjson
          primary_key: id${options.onError ? `\n          on_error: ${options.onError}` : ''}
        columns:
          - {name: id, data_type: integer}
          - {name: name, data_type: varchar}
          - {name: email, data_type: varchar}
          - {name: tier, data_type: varchar}
          - {name: signup_date, data_type: date}
          - {name: updated_at, data_type: timestamp}
      - name: wrapped
        cdc:
          path: cdc/wrapped
          primary_key: [id]
        columns:
          - {name: id, data_type: integer}
          - {name: tier, data_type: varchar}
          - {name: signup_date, data_type: date}
          - {name: updated_at, data_type: timestamp}
          - {name: balance, data_type: "decimal(12, 2)"}
`;
}

const MODELS = {
  'models/customers_current.sql': "{{ config(materialized='cdc_current') }}\nselect * from {{ source('shop_cdc', 'customers') }}\n",
  'models/customers_history.sql': "{{ config(materialized='cdc_history') }}\nselect * from {{ source('shop_cdc', 'customers') }}\n",
};

function fixture(dialect: DialectName, options: { onError?: string } = {}): FixtureProject {
  const project = new FixtureProject(dialect, MODELS);
  project.write({ 'models/sources.yml': sourcesYaml(project.schemaFor('cdc'), options) });
  projects.push(project);
  return project;
}

/** Copies fixture files into the project's cdc/customers/ folder (optionally under another name). */
function land(project: FixtureProject, name: string, as = name, folder = 'customers'): void {
  project.write({ [`cdc/${folder}/${as}`]: fixtureText(name) });
}

interface Current {
  id: number;
  name: string;
  email: string;
  tier: string;
  signup_date: string;
  _cdc_op: string;
}

async function current(project: FixtureProject): Promise<Current[]> {
  const rows = await project.query<Current>(
    `select id, name, email, tier, cast(signup_date as varchar) as signup_date, _cdc_op from ${project.schema}.customers_current order by id`,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

interface Version {
  id: number;
  tier: string | null;
  op: string;
  is_current: boolean;
  valid_from: string;
  valid_to: string | null;
}

async function history(project: FixtureProject, id?: number): Promise<Version[]> {
  const rows = await project.query<Version>(
    `select id, tier, op, is_current, cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to
       from ${project.schema}.customers_history ${id === undefined ? '' : `where id = ${id}`} order by id, valid_from, _cdc_lsn`,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), valid_from: r.valid_from.slice(0, 19), valid_to: r.valid_to === null ? null : r.valid_to.slice(0, 19) }));
}

/** What the last command said about a model: "cdc_current (incremental)", "(up to date)" ... */
function messageOf(project: FixtureProject, name: string): string | undefined {
  return runResults(project.dir).results.find((r) => r.name === name)?.message;
}

async function count(project: FixtureProject, table: string): Promise<number> {
  const [row] = await project.query<{ n: number | string }>(`select count(*) as n from ${table}`);
  return Number(row?.n);
}

describe.each(await dialects())('CDC sources on %s', (dialect) => {
  it('loads change events, derives current state and history, and only what is new each time', async () => {
    const project = fixture(dialect);
    const log = `${project.schemaFor('cdc')}.customers`;

    land(project, 'snapshot.ndjson');
    const first = await project.cli('ingest');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('3 events: 3 new');
    expect((await project.cli('run')).code).toBe(0);
    expect((await current(project)).map((r) => [r.id, r.tier, r.signup_date])).toEqual([
      [1, 'gold', '2024-01-01'],
      [2, 'silver', '2024-01-02'],
      [3, 'bronze', '2024-01-03'],
    ]);

    // Creates, an update, deletes with tombstones, and a primary-key change (2 -> 20: delete + create).
    land(project, 'stream-1.ndjson');
    const second = await project.cli('ingest');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('1 file read (1 unchanged, skipped)');
    expect(second.stdout).toContain('5 events: 5 new');
    expect(second.stdout).toContain('2 tombstones skipped');
    const run = await project.cli('run');
    expect(run.code, run.stdout).toBe(0);
    expect(messageOf(project, 'customers_current')).toBe('cdc_current (incremental)');
    expect(messageOf(project, 'customers_history')).toBe('cdc_history (incremental)');
    expect((await current(project)).map((r) => [r.id, r.tier, r._cdc_op])).toEqual([
      [1, 'platinum', 'u'],
      [4, 'silver', 'c'],
      [20, 'silver', 'c'],
    ]);
    expect(await history(project, 1)).toEqual([
      { id: 1, tier: 'gold', op: 'r', is_current: false, valid_from: '2024-01-01 10:00:00', valid_to: '2024-01-02 11:00:00' },
      { id: 1, tier: 'platinum', op: 'u', is_current: true, valid_from: '2024-01-02 11:00:00', valid_to: null },
    ]);
    expect(await history(project, 2)).toEqual([
      { id: 2, tier: 'silver', op: 'r', is_current: false, valid_from: '2024-01-01 10:00:00', valid_to: '2024-01-02 13:00:00' },
      { id: 2, tier: null, op: 'd', is_current: false, valid_from: '2024-01-02 13:00:00', valid_to: null },
    ]);

    // The same files again, and the same batch under a new name: nothing changes.
    const again = await project.cli('ingest');
    expect(again.stdout).toContain('0 files read (2 unchanged, skipped)');
    land(project, 'stream-1.ndjson', 'stream-1-redelivered.ndjson');
    const redelivered = await project.cli('ingest');
    expect(redelivered.stdout).toContain('5 events: 0 new, 5 already loaded');
    expect(await count(project, log)).toBe(8);
    expect((await project.cli('run')).code).toBe(0);
    expect(messageOf(project, 'customers_current')).toBe('cdc_current (up to date)');

    // A late event (LSN 2400 arrives after 2500) and a redelivered one with a new ts_ms.
    land(project, 'stream-2-late.ndjson');
    const late = await project.cli('ingest');
    expect(late.stdout).toContain('3 events: 2 new, 1 already loaded');
    expect((await project.cli('run')).code).toBe(0);
    const dee = (await current(project)).find((r) => r.id === 4)!;
    expect([dee.email, dee.tier]).toEqual(['dee@new.example.com', 'gold']);
    expect((await history(project, 4)).map((v) => [v.op, v.tier, v.valid_from, v.valid_to, v.is_current])).toEqual([
      ['c', 'silver', '2024-01-02 10:00:00', '2024-01-02 14:00:00', false],
      ['u', 'gold', '2024-01-02 14:00:00', '2024-01-02 15:00:00', false],
      ['u', 'gold', '2024-01-02 15:00:00', null, true],
    ]);

    // A truncate empties the current state; what comes after it stays.
    land(project, 'truncate.ndjson');
    expect((await project.cli('ingest')).code).toBe(0);
    expect((await project.cli('run')).code).toBe(0);
    expect(messageOf(project, 'customers_history')).toBe('cdc_history (rebuilt: truncate)');
    expect((await current(project)).map((r) => r.id)).toEqual([5]);
    const truncates = (await history(project)).filter((v) => v.op === 't').map((v) => v.id);
    expect(truncates).toEqual([1, 4, 20]);
    const open = (await history(project)).filter((v) => v.is_current).map((v) => v.id);
    expect(open).toEqual([5]);
    // Every key's versions chain without gaps: each valid_to is the next valid_from.
    const all = await history(project);
    for (const [i, v] of all.entries()) {
      const next = all[i + 1];
      if (next && next.id === v.id) expect(v.valid_to).toBe(next.valid_from);
    }
  });

  it('a malformed event fails the load with its file and line, and nothing is loaded', async () => {
    const project = fixture(dialect);
    land(project, 'snapshot.ndjson');
    land(project, 'malformed.ndjson');
    const result = await project.cli('ingest');
    expectCleanFailure(result, 1);
    expect(result.stdout).toContain('cdc/customers/malformed.ndjson:2');
    expect(result.stdout).toMatch(/invalid JSON/);
    expect(result.stdout).toContain('on_error: quarantine');
    const tables = await project.query(`select table_name from information_schema.tables where table_schema = '${project.schemaFor('cdc')}' and table_name = 'customers'`);
    expect(tables).toEqual([]);
  });

  it('with on_error: quarantine, bad events go to the rejects table with the reason and the rest loads', async () => {
    const project = fixture(dialect, { onError: 'quarantine' });
    land(project, 'malformed.ndjson');
    const result = await project.cli('ingest');
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('2 events: 2 new');
    expect(result.stdout).toContain('3 rejected into customers__rejects');
    const rejects = await project.query<{ line: number; reason: string }>(`select line, reason from ${project.schemaFor('cdc')}.customers__rejects order by line`);
    expect(rejects.map((r) => Number(r.line))).toEqual([2, 3, 4]);
    expect(rejects[0]!.reason).toMatch(/^invalid JSON/);
    expect(rejects[1]!.reason).toContain('unknown op "x"');
    expect(rejects[2]!.reason).toContain("primary key column 'id' is missing");
    // Loading the same file again adds no second copy of the rejects.
    land(project, 'malformed.ndjson', 'malformed-again.ndjson');
    expect((await project.cli('ingest')).code).toBe(0);
    expect(await count(project, `${project.schemaFor('cdc')}.customers__rejects`)).toBe(6);
    expect((await project.cli('run', '-s', 'customers_current')).code).toBe(0);
    expect((await current(project)).map((r) => r.id)).toEqual([6, 9]);
    // --full-refresh drops the change log and its rejects and loads every file again.
    const reloaded = await project.cli('ingest', '--full-refresh');
    expect(reloaded.stdout).toContain('2 files read; 4 events: 2 new, 2 already loaded');
    expect(await count(project, `${project.schemaFor('cdc')}.customers`)).toBe(2);
    expect(await count(project, `${project.schemaFor('cdc')}.customers__rejects`)).toBe(6);
  });

  it('smelt build loads the change logs its models read, then builds them', async () => {
    const project = fixture(dialect);
    project.write({ 'models/tiers.sql': "select tier, count(*) as customers from {{ ref('customers_current') }} group by tier\n" });
    land(project, 'snapshot.ndjson');
    land(project, 'stream-1.ndjson');
    const build = await project.cli('build');
    expect(build.code, build.stdout + build.stderr).toBe(0);
    expect(build.stdout).toMatch(/OK\s+cdc\s+shop_cdc\.customers/);
    expect(runResults(project.dir).results.map((r) => r.name)).toEqual(['shop_cdc.customers', 'customers_current', 'customers_history', 'tiers']);
    const tiers = await project.query<{ tier: string; customers: number | string }>(`select tier, customers from ${project.schema}.tiers order by tier`);
    expect(tiers.map((t) => [t.tier, Number(t.customers)])).toEqual([['platinum', 1], ['silver', 2]]);
    // A malformed file fails the load (and the build), while the models build from the change log as it was.
    land(project, 'malformed.ndjson');
    const failed = await project.cli('build');
    expectCleanFailure(failed, 1);
    expect(failed.stdout).toContain('cdc/customers/malformed.ndjson:2');
    expect(await count(project, `${project.schemaFor('cdc')}.customers`)).toBe(8);
  });

  it("reads JSON arrays with Kafka Connect's schema/payload wrapper and its logical types", async () => {
    const project = fixture(dialect);
    project.write({ 'models/wrapped_current.sql': "{{ config(materialized='cdc_current') }}\nselect * from {{ source('shop_cdc', 'wrapped') }}\n" });
    land(project, 'wrapped.json', 'wrapped.json', 'wrapped');
    const result = await project.cli('ingest', '-s', 'source:shop_cdc.wrapped');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('4 events: 4 new');
    expect(result.stdout).toContain('1 tombstone skipped');
    expect((await project.cli('run', '-s', 'wrapped_current')).code).toBe(0);
    const rows = await project.query<{ id: number; tier: string; signup_date: string; updated_at: string; balance: string }>(
      `select id, tier, cast(signup_date as varchar) as signup_date, cast(updated_at as varchar) as updated_at, cast(balance as varchar) as balance from ${project.schema}.wrapped_current`,
    );
    expect(rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([{ id: 10, tier: 'platinum', signup_date: '2024-03-18', updated_at: '2024-03-09 17:00:00', balance: '-50.50' }]);
  });
});

describe.each((await dialects()).filter((d) => d === 'postgres'))('concurrent loads on %s', (dialect) => {
  it('two ingests at once load each event once', async () => {
    const project = fixture(dialect);
    land(project, 'snapshot.ndjson');
    land(project, 'stream-1.ndjson');
    // The second waits for the first's target lock (--wait), then finds nothing new.
    const results = await Promise.all([project.cli('ingest', '--wait', '60'), project.cli('ingest', '--wait', '60')]);
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(results.map((r) => /(\d+) new/.exec(r.stdout)?.[1]).sort()).toEqual(['0', '8']);
    expect(await count(project, `${project.schemaFor('cdc')}.customers`)).toBe(8);
  });
});

// ---------------------------------------------------------------------------------------------
// Real change events: a table in the local PostgreSQL is written to (inserts, updates, a
// primary-key update, deletes, a truncate), logical decoding records it, and each change
// becomes the Debezium event the PostgreSQL connector would send.

const SOURCE_COLUMNS = `
          - {name: id, data_type: integer}
          - {name: name, data_type: varchar}
          - {name: email, data_type: varchar}
          - {name: tier, data_type: varchar}
          - {name: balance, data_type: "decimal(12, 2)"}
          - {name: signup_date, data_type: date}
          - {name: updated_at, data_type: timestamp}
          - {name: vip, data_type: boolean}`;
const COMPARED = ['id', 'name', 'email', 'tier', 'balance', 'signup_date', 'updated_at', 'vip'];
const asText = (alias = '') => COMPARED.map((c) => `cast(${alias}${c} as varchar) as ${c}`).join(', ');

interface Batch {
  files: Record<string, string>;
  /** The source table's rows after the batch, as text. */
  expected: Record<string, unknown>[];
}

const logical = await hasLogicalDecoding();
const DIALECTS = await dialects();

describe.skipIf(!logical)('CDC from real PostgreSQL change events (logical decoding)', () => {
  const batches: Batch[] = [];
  const sourceSchema = `smelt_src_${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    const admin = new pg.Client(PG);
    await admin.connect();
    const sql = (text: string) => admin.query(text);
    const table = `${sourceSchema}.customers`;
    const state = async () => (await admin.query(`select ${asText()} from ${table} order by id`)).rows;
    try {
      await sql(`create schema ${sourceSchema}`);
      await sql(`create table ${table} (id integer primary key, name text not null, email text, tier text, balance numeric(12, 2),
        signup_date date, updated_at timestamp, vip boolean)`);
      await sql(`insert into ${table} values
        (1, 'Ada', 'ada@example.com', 'gold', 100.00, '2024-01-01', '2024-01-01 10:00:00', true),
        (2, 'Bob', 'bob@example.com', 'silver', 20.50, '2024-01-02', '2024-01-01 10:00:00', false),
        (3, 'Cy', null, 'bronze', 0, '2024-01-03', '2024-01-01 10:00:00', null)`);
      const capture = await ChangeCapture.start(sourceSchema);
      try {
        // Debezium's initial snapshot, then a first batch of changes in several transactions.
        const snapshot = await capture.snapshot('customers', ['id']);
        await sql(`insert into ${table} values (4, 'Dee', 'dee@example.com', 'silver', 5.25, '2024-02-01', '2024-02-01 09:30:00.123456', false),
                                              (5, 'Eve', 'eve@example.com', 'bronze', 1, '2024-02-02', '2024-02-02 08:00:00', false)`);
        await sql(`update ${table} set tier = 'platinum', balance = balance + 10, updated_at = '2024-02-03 12:00:00' where id = 1`);
        await sql(`update ${table} set id = 20, updated_at = '2024-02-04 12:00:00' where id = 2`);
        await sql(`delete from ${table} where id = 3`);
        await sql(`begin; insert into ${table} values (6, 'six', null, null, null, null, null, null); update ${table} set name = 'Six', vip = true where id = 6; commit`);
        const first = await capture.changes();
        batches.push({ files: { 'cdc/customers/000-snapshot.ndjson': ndjson(snapshot), 'cdc/customers/001.ndjson': ndjson(first) }, expected: await state() });

        // A second batch, read with REPLICA IDENTITY FULL (full before images) and written as a
        // JSON array with Kafka Connect's schema wrapper (decimals as VariableScaleDecimal).
        await sql(`alter table ${table} replica identity full`);
        await sql(`update ${table} set email = 'dee@new.example.com' where id = 4`);
        await sql(`update ${table} set tier = 'gold', balance = 99999.99 where id = 4`);
        await sql(`delete from ${table} where id = 5`);
        await sql(`update ${table} set id = 60 where id = 6`);
        const second = await capture.changes({ wrap: true });
        batches.push({ files: { 'cdc/customers/002.json': `${JSON.stringify(second, null, 1)}\n` }, expected: await state() });

        // A truncate, and life after it.
        await sql(`truncate ${table}`);
        await sql(`insert into ${table} values (7, 'Gus', 'gus@example.com', 'gold', 7, '2024-03-01', '2024-03-01 00:00:00', true), (1, 'Ada', 'ada@example.com', 'gold', 1, '2024-01-01', '2024-03-01 00:00:00', true)`);
        await sql(`update ${table} set id = 70 where id = 7`);
        const third = await capture.changes();
        batches.push({ files: { 'cdc/customers/003.ndjson': ndjson(third) }, expected: await state() });
      } finally {
        await capture.stop();
      }
    } finally {
      await sql(`drop schema if exists ${sourceSchema} cascade`).catch(() => undefined);
      await admin.end();
    }
  });

  it.each(DIALECTS)('on %s: after every batch, the current state equals the source table and the history holds every version', async (dialect) => {
    const project = new FixtureProject(dialect, MODELS);
    projects.push(project);
    project.write({ 'models/sources.yml': `version: 2
sources:
  - name: shop_cdc
    schema: ${project.schemaFor('cdc')}
    tables:
      - name: customers
        cdc: {path: "cdc/customers/*.{ndjson,json}", primary_key: id, table: ${sourceSchema}.customers}
        columns:${SOURCE_COLUMNS}
` });
    const derived = async (table: string, where = '') => project.query(`select ${asText()} from ${project.schema}.${table} ${where} order by id`);
    for (const [index, batch] of batches.entries()) {
      project.write(batch.files);
      const ingest = await project.cli('ingest');
      expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0);
      const run = await project.cli('run');
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await derived('customers_current'), `current state after batch ${index}`).toEqual(batch.expected);
      expect(await derived('customers_history', 'where is_current'), `current versions after batch ${index}`).toEqual(batch.expected);
    }
    // Every version of key 1: snapshot, update, truncated, inserted again.
    const versions = await project.query<{ op: string; tier: string | null; balance: string | null }>(
      `select op, tier, cast(balance as varchar) as balance from ${project.schema}.customers_history where id = 1 order by valid_from, _cdc_lsn`,
    );
    expect(versions).toEqual([
      { op: 'r', tier: 'gold', balance: '100.00' },
      { op: 'u', tier: 'platinum', balance: '110.00' },
      { op: 't', tier: null, balance: null },
      { op: 'c', tier: 'gold', balance: '1.00' },
    ]);
    // The primary-key update 2 -> 20: the old key is deleted, the new one created.
    const moved = await project.query<{ id: number; op: string }>(`select id, op from ${project.schema}.customers_history where id in (2, 20) order by valid_from, id`);
    expect(moved.map((r) => [Number(r.id), r.op])).toEqual([[2, 'r'], [2, 'd'], [20, 'c'], [20, 't']]);
    // With REPLICA IDENTITY FULL the delete of 5 carried the whole before image.
    const deleted = await project.query<{ name: string }>(`select name from ${project.schema}.customers_history where id = 5 and op = 'd'`);
    expect(deleted).toEqual([{ name: 'Eve' }]);

    // Incremental runs and one build from the whole change log agree.
    const incremental = { current: await derived('customers_current'), history: await project.query(`select * from ${project.schema}.customers_history order by _cdc_key, valid_from, _cdc_lsn, op`) };
    expect((await project.cli('run', '--full-refresh')).code).toBe(0);
    expect(await derived('customers_current')).toEqual(incremental.current);
    expect(await project.query(`select * from ${project.schema}.customers_history order by _cdc_key, valid_from, _cdc_lsn, op`)).toEqual(incremental.history);
  });
});
