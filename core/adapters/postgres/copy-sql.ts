import type { CsvBulkLoad } from '../adapter.js';
import type { Dialect } from '../dialect.js';

/**
 * COPY ... FROM STDIN for a CSV seed. Empty values are NULL, quoted or not (FORCE_NULL), so the
 * table holds the same as DuckDB's. Pure, so golden tests can pin it.
 */
export function postgresCopyFrom(dialect: Dialect, load: CsvBulkLoad): string {
  const columns = load.columns.map((c) => dialect.quote(c.name)).join(', ');
  const options = [
    'format csv',
    `header ${load.header}`,
    `delimiter ${dialect.literal(load.delimiter)}`,
    `quote '"'`,
    `escape '"'`,
    `null ''`,
    ...(load.columns.length > 0 ? [`force_null (${columns})`] : []),
    `encoding 'UTF8'`,
  ];
  return `copy ${dialect.relation(load.relation)} (${columns}) from stdin with (${options.join(', ')})`;
}
