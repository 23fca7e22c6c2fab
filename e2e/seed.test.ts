import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, fixtures, type FixtureProject } from './support/project.js';

/*
 * `smelt seed` end to end, the same test body on every dialect: inferred and overridden types,
 * delimiter and custom schema, refs from models, skipping unchanged files, --full-refresh, header
 * changes, run history, every kind of bad file (which must leave the previous table as it was),
 * values that look like SQL, and selection.
 */
const fixture = fixtures();

/** The same type written the way both databases name it. */
function canonicalType(type: string): string {
  const t = type.toLowerCase();
  if (t === 'varchar' || t === 'character varying') return 'text';
  if (t === 'double') return 'double precision';
  if (t === 'timestamp without time zone') return 'timestamp';
  if (t.startsWith('decimal') || t.startsWith('numeric')) return 'numeric';
  return t;
}

async function columnTypes(p: FixtureProject, table: string, schema = p.schema): Promise<Record<string, string>> {
  const rows = await p.query<{ column_name: string; data_type: string }>(
    `select column_name, data_type from information_schema.columns where table_schema = '${schema}' and table_name = '${table}' order by ordinal_position`,
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, canonicalType(r.data_type)]));
}

/** Every value as text (NULL stays null), ordered by the first column. */
async function textRows(p: FixtureProject, table: string, schema = p.schema): Promise<(string | null)[][]> {
  const columns = Object.keys(await columnTypes(p, table, schema));
  const select = columns.map((c, i) => `cast("${c}" as varchar) as c${i}`).join(', ');
  const rows = await p.query<Record<string, string | null>>(`select ${select} from "${schema}"."${table}" order by 1`);
  return rows.map((row) => columns.map((_, i) => row[`c${i}`] ?? null));
}

async function history(p: FixtureProject): Promise<{ node_id: string; status: string; message: string; rows_loaded: string | number | null; checksum: string | null; file: string; error: string | null }[]> {
  return p.query(`select node_id, status, message, rows_loaded, checksum, file, error from "${p.schema}".smelt_run_history order by started_at, node_id`);
}

function runResults(p: FixtureProject): { command: string; results: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8'));
}

const PEOPLE = [
  'id,name,score,active,born,seen_at,big,zip,note',
  '1,Ann,1.5,true,2000-01-02,2024-01-02 03:04:05,9999999999,01234,plain',
  '2,"O\'Brien; drop table people; --",-2,FALSE,,2024-01-02T03:04:05.5,1,10115,"say ""hi"", then\nleave"',
  '3,select * from people,,,1999-12-31,,,,"  spaces kept  "',
].join('\n') + '\n';

describe('smelt seed', async () => {
  for (const dialect of await dialects()) {
    describe(dialect, () => {
      it('infers column types and round-trips every value exactly', async () => {
        const p = fixture(dialect, { 'seeds/people.csv': PEOPLE });
        const result = await p.cli('seed');
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toMatch(/1 of 1 {2}OK {6}seed {8}people \.+ +3 rows/);
        expect(await columnTypes(p, 'people')).toEqual({
          id: 'integer', name: 'text', score: 'double precision', active: 'boolean', born: 'date',
          seen_at: 'timestamp', big: 'bigint', zip: 'text', note: 'text',
        });
        expect(await textRows(p, 'people')).toEqual([
          ['1', 'Ann', '1.5', 'true', '2000-01-02', '2024-01-02 03:04:05', '9999999999', '01234', 'plain'],
          ['2', "O'Brien; drop table people; --", '-2.0', 'false', null, '2024-01-02 03:04:05.5', '1', '10115', 'say "hi", then\nleave'],
          ['3', 'select * from people', null, null, '1999-12-31', null, null, null, '  spaces kept  '],
        ].map((row) => (dialect === 'postgres' ? row.map((v) => (v === '-2.0' ? '-2' : v)) : row)));
      });

      it('reads column_types, delimiter, +schema and quote_columns from config; models ref the seed', async () => {
        const p = fixture(dialect, {
          'seeds/ref/countries.csv': 'Code;Name;Population;Area\nDE;Germany;83000000;357022.5\nFR;"France; République";68000000;551695\n',
          'seeds/ref/schema.yml': 'version: 2\nseeds:\n  - name: countries\n    config:\n      column_types: { population: bigint, area: "numeric(10,1)" }\n',
          'models/big_countries.sql': "select code, name from {{ ref('countries') }} where population > 70000000",
        }, 'name: fixture\nversion: "1.0"\nseeds:\n  fixture:\n    ref:\n      +schema: ref_data\n      +delimiter: ";"\nmodels:\n  +materialized: table\n');
        const seeded = await p.cli('seed');
        expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
        const schema = p.schemaFor('ref_data');
        expect(await columnTypes(p, 'countries', schema)).toEqual({ code: 'text', name: 'text', population: 'bigint', area: 'numeric' });
        expect(await textRows(p, 'countries', schema)).toEqual([
          ['DE', 'Germany', '83000000', '357022.5'],
          ['FR', 'France; République', '68000000', '551695.0'],
        ]);
        const run = await p.cli('run');
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(await textRows(p, 'big_countries')).toEqual([['DE', 'Germany']]);

        p.write({ 'seeds/ref/schema.yml': 'version: 2\nseeds:\n  - name: countries\n    config:\n      quote_columns: true\n' });
        expect((await p.cli('seed')).code).toBe(0);
        expect(Object.keys(await columnTypes(p, 'countries', schema))).toEqual(['Code', 'Name', 'Population', 'Area']);
      });

      it('reads files without a header, with tabs, CRLF, a byte-order mark and blank lines', async () => {
        const p = fixture(dialect, {
          'seeds/raw.csv': '\uFEFF\r\n1\t"a\r\nb"\r\n\r\n2\t\r\n',
          'seeds/named.csv': '\n\nk;v\n\nx;1\n',
          'seeds/schema.yml': 'version: 2\nseeds:\n  - name: raw\n    config: { header: false, delimiter: "\\t" }\n  - name: named\n    config: { column_names: [key, value], delimiter: ";" }\n',
        });
        const result = await p.cli('seed');
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(await columnTypes(p, 'raw')).toEqual({ column_1: 'integer', column_2: 'text' });
        expect(await textRows(p, 'raw')).toEqual([['1', 'a\r\nb'], ['2', null]]);
        expect(await textRows(p, 'named')).toEqual([['x', '1']]);
      });

      it('loads values longer than DuckDB\'s 2 MB line limit, quoted or not', async () => {
        const long = 'x'.repeat(3_000_000);
        const p = fixture(dialect, { 'seeds/quoted.csv': `id,v\n1,"${long}, with a comma"\n2,short\n`, 'seeds/plain.csv': `id,v\n1,${long}\n2,short\n` });
        const result = await p.cli('seed');
        expect(result.code, result.stdout + result.stderr).toBe(0);
        for (const [table, length] of [['quoted', 3_000_014], ['plain', 3_000_000]] as const) {
          const rows = await p.query<{ id: number; n: number }>(`select id, length(v) as n from ${p.schema}.${table} order by id`);
          expect(rows.map((r) => [Number(r.id), Number(r.n)])).toEqual([[1, length], [2, 5]]);
        }
      });

      it('skips an unchanged file, reloads it with --full-refresh, and keeps a run history', async () => {
        const p = fixture(dialect, { 'seeds/codes.csv': 'code,label\n1,one\n2,two\n' });
        expect((await p.cli('seed')).code).toBe(0);
        const again = await p.cli('seed');
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/OK {6}seed {8}codes \.+ skipped: unchanged/);
        expect(runResults(p).results[0]).toMatchObject({ status: 'success', message: 'unchanged', materialization: 'seed', file: 'seeds/codes.csv' });
        const forced = await p.cli('seed', '--full-refresh');
        expect(forced.stdout).toMatch(/codes \.+ +2 rows/);

        // Same content, different config: not unchanged.
        p.write({ 'seeds/schema.yml': 'version: 2\nseeds:\n  - name: codes\n    config:\n      column_types: { code: bigint }\n' });
        expect((await p.cli('seed')).stdout).toMatch(/codes \.+ +2 rows/);
        expect(await columnTypes(p, 'codes')).toEqual({ code: 'bigint', label: 'text' });

        const rows = await history(p);
        expect(rows.map((r) => [r.status, r.message, Number(r.rows_loaded), r.file])).toEqual([
          ['success', 'loaded', 2, 'seeds/codes.csv'],
          ['success', 'unchanged', 2, 'seeds/codes.csv'],
          ['success', 'loaded', 2, 'seeds/codes.csv'],
          ['success', 'loaded', 2, 'seeds/codes.csv'],
        ]);
        expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(rows[1]!.checksum).toBe(rows[0]!.checksum);
        expect(rows[3]!.checksum).not.toBe(rows[0]!.checksum);
        const results = runResults(p);
        expect(results.command).toBe('seed');
        expect(results.results[0]).toMatchObject({ uniqueId: 'seed.fixture.codes', status: 'success', rowsAffected: 2, checksum: rows[3]!.checksum });
      });

      it('replaces the table when the header changes', async () => {
        const p = fixture(dialect, { 'seeds/items.csv': 'id,name\n1,a\n' });
        expect((await p.cli('seed')).code).toBe(0);
        p.write({ 'seeds/items.csv': 'id,title,price\n1,a,2.5\n2,b,3\n' });
        const result = await p.cli('seed');
        expect(result.code).toBe(0);
        expect(runResults(p).results[0]).toMatchObject({ message: 'columns changed: table replaced', rowsAffected: 2 });
        expect(await columnTypes(p, 'items')).toEqual({ id: 'integer', title: 'text', price: 'double precision' });
      });

      it('widens a type when a row after the sample needs it, never rounding a value', async () => {
        const many = Array.from({ length: 10_050 }, (_, i) => `${i},${i % 7},,${i}`);
        many.push('10050,1.5,42,3000000000');
        const p = fixture(dialect, { 'seeds/wide.csv': `id,v,sparse,big\n${many.join('\n')}\n` });
        const result = await p.cli('seed');
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(await columnTypes(p, 'wide')).toEqual({ id: 'integer', v: 'double precision', sparse: 'integer', big: 'bigint' });
        expect(await textRows(p, 'wide').then((rows) => rows.filter((r) => r[0] === '10050'))).toEqual([['10050', '1.5', '42', '3000000000']]);
        expect(runResults(p).results[0]).toMatchObject({ rowsAffected: 10_051 });
      });

      const good = 'id,amount\n1,10\n2,20\n';
      const longPrefix = Array.from({ length: 10_020 }, (_, i) => `${i + 3},${i}`).join('\n');
      const bad: [string, string | Buffer, RegExp, string, string?][] = [
        ['a ragged row', 'id,amount\n1,10\n2\n', /Row has 1 value but the header has 2 columns \(no value for column 'amount'\)/, ':3'],
        ['a ragged row after the sample', `id,amount\n1,10\n${longPrefix}\n5,6,7\n`, /Row has 3 values but the header has 2 columns/, ':10023'],
        ['an unterminated quote', 'id,amount\n1,10\n2,"20\n3,30\n', /Unterminated quote in column 'amount'/, ':3'],
        ['an unterminated quote after the sample', `id,amount\n1,10\n${longPrefix}\n9,"x\n`, /Unterminated quote in column 'amount'/, ':10023'],
        ['a value that does not fit its column type', 'id,amount\n1,10\n2,abc\n', /Value 'abc' in column 'amount' is not a valid integer \(column_types sets amount: integer\)/, ':3', 'amount: integer'],
        ['a value that does not fit, after the sample', `id,amount\n1,10\n${longPrefix}\n9,9.5\n`, /Value '9.5' in column 'amount' is not a valid integer/, ':10023', 'amount: integer'],
        ['an empty file', '', /The file is empty/, ':1'],
        ['a duplicate header', 'id,amount,ID\n1,2,3\n', /Column 'id' appears twice in the header \(columns 1 and 3\)/, ':1'],
        ['invalid UTF-8', Buffer.concat([Buffer.from('id,amount\n1,10\n2,'), Buffer.from([0xff]), Buffer.from('\n')]), /Invalid UTF-8 in column 'amount'/, ':3'],
        ['invalid UTF-8 after the sample', Buffer.concat([Buffer.from(`id,amount\n1,10\n${longPrefix}\n9,`), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('\n')]), /Invalid UTF-8 in column 'amount'/, ':10023'],
      ];
      for (const [what, content, message, line, override] of bad) {
        it(`fails on ${what}, with file, line and column, and keeps the previous table`, async () => {
          const yml = override ? { 'seeds/schema.yml': `version: 2\nseeds:\n  - name: ledger\n    config:\n      column_types: { ${override} }\n` } : {};
          const p = fixture(dialect, { 'seeds/ledger.csv': good, 'seeds/other.csv': 'x\n1\n', ...yml });
          expect((await p.cli('seed')).code).toBe(0);
          p.write({ 'seeds/ledger.csv': content as string });
          const result = await p.cli('seed');
          expectCleanFailure(result, 1);
          expect(result.stdout).toContain(`Error in seed ledger (seeds/ledger.csv${line})`);
          expect(result.stdout).toMatch(message);
          expect(result.stdout).toMatch(/1 ok, 1 error/);
          expect(await textRows(p, 'ledger')).toEqual([['1', '10'], ['2', '20']]);
          const tables = await p.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = '${p.schema}' order by 1`);
          expect(tables.map((t) => t.table_name)).toEqual(['ledger', 'other', 'smelt_run_history']);
          const last = (await history(p)).filter((r) => r.node_id === 'seed.fixture.ledger').pop()!;
          expect(last.status).toBe('error');
          expect(last.error).toMatch(message);
          expect(runResults(p).results.find((r) => r.name === 'ledger')).toMatchObject({ status: 'error', where: `seeds/ledger.csv${line}` });
        });
      }

      it('lets the database check types smelt does not infer, and names the line and column', async () => {
        const p = fixture(dialect, {
          'seeds/prices.csv': 'sku,price\na,1.5\n',
          'seeds/schema.yml': 'version: 2\nseeds:\n  - name: prices\n    config:\n      column_types: { price: "numeric(3,1)" }\n',
        });
        expect((await p.cli('seed')).code).toBe(0);
        p.write({ 'seeds/prices.csv': 'sku,price\na,1.5\nb,12345\n' });
        const result = await p.cli('seed');
        expectCleanFailure(result, 1);
        expect(result.stdout).toContain('Error in seed prices (seeds/prices.csv:3)');
        expect(result.stdout).toMatch(/The database rejected the file.*column 'price'/);
        expect(await textRows(p, 'prices')).toEqual([['a', '1.5']]);
      });

      it('keeps file order up to 16 MB or with preserve_order: true; preserve_order: false may load in parallel', async () => {
        // 17 MB: above the size where file order is kept by default.
        const big = ['id,label', ...Array.from({ length: 420_000 }, (_, i) => `${i + 1},row number ${i + 1} of the big file`)].join('\n') + '\n';
        expect(big.length).toBeGreaterThan(16 * 1024 * 1024);
        const p = fixture(dialect, {
          'seeds/big.csv': big,
          'seeds/ordered.csv': big,
          'seeds/small.csv': 'id,label\n3,c\n1,a\n2,b\n',
          'seeds/small_unordered.csv': 'id,label\n3,c\n1,a\n2,b\n',
          'seeds/schema.yml': 'version: 2\nseeds:\n  - name: ordered\n    config: { preserve_order: true }\n  - name: small_unordered\n    config: { preserve_order: false }\n',
        });
        const result = await p.cli('seed');
        expect(result.code, result.stdout + result.stderr).toBe(0);
        for (const table of ['big', 'ordered']) {
          const [stats] = await p.query<{ n: number | string | bigint; s: number | string | bigint; d: number | string | bigint }>(
            `select count(*) as n, sum(id) as s, count(distinct label) as d from "${p.schema}".${table}`,
          );
          expect([Number(stats!.n), Number(stats!.s), Number(stats!.d)]).toEqual([420_000, (420_000 * 420_001) / 2, 420_000]);
        }
        // Without ORDER BY: the rows as the table stores them.
        const ordered = await p.query<{ id: number }>(`select id from "${p.schema}".ordered`);
        expect(ordered.every((row, i) => row.id === i + 1)).toBe(true);
        expect((await p.query<{ id: number }>(`select id from "${p.schema}".small`)).map((r) => r.id)).toEqual([3, 1, 2]);
        expect((await p.query<{ id: number }>(`select id from "${p.schema}".small_unordered order by id`)).map((r) => r.id)).toEqual([1, 2, 3]);
        // A bad row in a parallel load is still found, located, and leaves the table as it was.
        p.write({ 'seeds/big.csv': big.replace('\n300000,', '\n300000,x,') });
        const failed = await p.cli('seed', '-s', 'big');
        expectCleanFailure(failed, 1);
        expect(failed.stdout).toContain('Error in seed big (seeds/big.csv:300001)');
        expect(failed.stdout).toMatch(/Row has 3 values but the header has 2 columns/);
        const [after] = await p.query<{ n: number | string | bigint }>(`select count(*) as n from "${p.schema}".big`);
        expect(Number(after!.n)).toBe(420_000);
      });

      it('rejects a preserve_order that is not true or false', async () => {
        const p = fixture(dialect, { 'seeds/a.csv': 'x\n1\n', 'seeds/schema.yml': 'version: 2\nseeds:\n  - name: a\n    config:\n      preserve_order: sometimes\n' });
        const result = await p.cli('seed');
        expectCleanFailure(result, 2);
        expect(result.stderr).toContain('preserve_order must be true or false');
      });

      it('loads only the selected seeds', async () => {
        const p = fixture(dialect, { 'seeds/a.csv': 'x\n1\n', 'seeds/b.csv': 'y\n2\n', 'seeds/c.csv': 'z\n3\n', 'models/m.sql': 'select 1 as one' });
        const result = await p.cli('seed', '-s', 'a', 'c', '--exclude', 'c');
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/Loading 1 seed on/);
        expect(await p.relationType(p.schema, 'a')).toBe('table');
        expect(await p.relationType(p.schema, 'b')).toBeUndefined();
        expect((await p.cli('seed', '-s', 'm')).stdout).toContain('Nothing to do: no seeds are selected.');
        expect((await p.cli('seed', '-s', 'b+')).stdout).toMatch(/b \.+ +1 rows/);
      });

      it('stops with exit code 2 on a bad seed config before loading anything', async () => {
        const p = fixture(dialect, { 'seeds/a.csv': 'x\n1\n', 'seeds/schema.yml': 'version: 2\nseeds:\n  - name: a\n    config:\n      delimiter: "::"\n' });
        const result = await p.cli('seed');
        expectCleanFailure(result, 2);
        expect(result.stderr).toContain('delimiter must be one ASCII character');
      });
    });
  }
});
