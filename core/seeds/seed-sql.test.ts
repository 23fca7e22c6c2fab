import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CsvBulkLoad } from '../adapters/adapter.js';
import { Dialect } from '../adapters/dialect.js';
import { duckdbCsvLoad } from '../adapters/duckdb/csv-load-sql.js';
import { postgresCopyFrom } from '../adapters/postgres/copy-sql.js';
import { insertRunHistory } from './seed-sql.js';

// The exact statements each database is sent for a seed: names and paths only ever appear quoted.
const load: CsvBulkLoad = {
  relation: { schema: 'main', identifier: "it's__smelt_tmp" },
  path: "/tmp/o'brien/x.csv",
  open: () => Readable.from([]),
  columns: [{ name: 'id', type: 'integer' }, { name: 'say "hi"', type: 'text' }, { name: 'price', type: 'numeric(10,2)' }],
  delimiter: ';',
  header: true,
  skipLines: 1,
};

describe('seed SQL', () => {
  it('creates the table with quoted names', () => {
    expect(new Dialect('duckdb').createTable(load.relation, load.columns)).toBe(
      'create table "main"."it\'s__smelt_tmp" (\n  "id" integer,\n  "say ""hi""" text,\n  "price" numeric(10,2)\n)',
    );
  });

  it('loads with DuckDB\'s reader, every option pinned', () => {
    expect(duckdbCsvLoad(new Dialect('duckdb'), load)).toBe(
      'create table "main"."it\'s__smelt_tmp" as\n' +
        'select "c1" as "id", "c2" as "say ""hi""", "c3" as "price"\n' +
        "from read_csv('/tmp/o''brien/x.csv', header = true, skip = 1, auto_detect = false, " +
        "columns = {'c1': 'integer', 'c2': 'text', 'c3': 'numeric(10,2)'}, delim = ';', quote = '\"', escape = '\"', " +
        "strict_mode = true, null_padding = false, encoding = 'utf-8', buffer_size = 4194304, max_line_size = 2097152)",
    );
  });

  it('loads with COPY on PostgreSQL, empty values NULL', () => {
    expect(postgresCopyFrom(new Dialect('postgres'), load)).toBe(
      'copy "main"."it\'s__smelt_tmp" ("id", "say ""hi""", "price") from stdin with (format csv, header true, delimiter \';\', ' +
        'quote \'"\', escape \'"\', null \'\', force_null ("id", "say ""hi""", "price"), encoding \'UTF8\')',
    );
  });

  it('writes run history with parameters, never values in the SQL', () => {
    expect(insertRunHistory(new Dialect('postgres'), { schema: 's', identifier: 'smelt_run_history' })).toBe(
      'insert into "s"."smelt_run_history" (invocation_id, command, node_id, relation, file, status, message, rows_loaded, checksum, started_at, finished_at, duration_seconds, error) ' +
        'values ($1, $2, $3, $4, $5, $6, $7, $8, $9, cast($10 as timestamp), cast($11 as timestamp), $12, $13)',
    );
  });
});
