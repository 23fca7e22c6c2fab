import type { CsvBulkLoad } from '../adapter.js';
import type { Dialect } from '../dialect.js';

/** DuckDB's default longest line; the buffer must hold one. */
const MAX_LINE_SIZE = 2 * 1024 * 1024;
const CSV_BUFFER_SIZE = 2 * MAX_LINE_SIZE;

/**
 * The one statement that loads a CSV file into a new DuckDB table: DuckDB's own parallel CSV
 * reader, typed, with every option pinned (no sniffing), as CREATE TABLE AS (its fastest path).
 * DuckDB's conversions are lenient ('1.5' read as an integer is 2); smelt checks every value
 * against its column type as the file loads and rolls the load back if one does not fit. Pure,
 * so tests can pin it.
 */
export function duckdbCsvLoad(dialect: Dialect, load: CsvBulkLoad): string {
  // Positional names in read_csv: the header's own names never go through its option syntax.
  const source = load.columns.map((column, i) => `${dialect.literal(`c${i + 1}`)}: ${dialect.literal(column.type)}`).join(', ');
  const select = load.columns.map((column, i) => `${dialect.quote(`c${i + 1}`)} as ${dialect.quote(column.name)}`).join(', ');
  const options = [
    `header = ${load.header}`,
    `skip = ${load.skipLines}`,
    'auto_detect = false',
    `columns = {${source}}`,
    `delim = ${dialect.literal(load.delimiter)}`,
    `quote = '"'`,
    `escape = '"'`,
    'strict_mode = true',
    'null_padding = false',
    `encoding = 'utf-8'`,
    // 4 MB read buffers instead of 32 MB: a fraction of the memory, no slower (bench/README.md,
    // P3). An explicit buffer size also raises the line limit to it: keep DuckDB's default,
    // unless a record needs more (longestRecordBytes; the buffer must be larger than a line).
    `buffer_size = ${Math.max(CSV_BUFFER_SIZE, 2 * (load.longestRecordBytes ?? 0))}`,
    `max_line_size = ${Math.max(MAX_LINE_SIZE, load.longestRecordBytes ?? 0)}`,
  ];
  return `create table ${dialect.relation(load.relation)} as\nselect ${select}\nfrom read_csv(${dialect.literal(load.path)}, ${options.join(', ')})`;
}

/**
 * DuckDB puts what matters about a CSV error on its later lines, with the positional column
 * names of duckdbCsvInsert: one line with the CSV line and the real column name instead.
 */
export function csvLoadErrorMessage(message: string, load: CsvBulkLoad): string | undefined {
  const line = /CSV Error on Line: (\d+)/.exec(message);
  if (!line) return undefined;
  const column = /column "c(\d+)"/.exec(message);
  const name = column ? load.columns[Number(column[1]) - 1]?.name : undefined;
  const detail = /Could not convert [^\n]*/.exec(message)?.[0] ?? message.split('\n').find((l, i) => i > 0 && l.trim() && !l.startsWith('Original Line')) ?? '';
  return `CSV line ${line[1]}${name !== undefined ? `, column '${name}'` : ''}: ${detail.trim()}`;
}
