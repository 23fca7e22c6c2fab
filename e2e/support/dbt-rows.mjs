// What a build of a dbt-format fixture project left in the warehouse, in a form that compares
// across tools: each relation's columns and its rows, values normalised and rows sorted. Used
// by bench/dbt-compat/regenerate.mjs (the rows dbt produced) and e2e/dbt-compat.test.ts (the
// rows smelt produces). Plain JavaScript so that both can load it without a build step.
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';

/** Snapshot columns whose values are the time of the run. */
export const TIME_COLUMNS = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

/** Dates and timestamps as the database writes them, not as JavaScript's Date reads them (no time zone shift). */
const rawTypes = {
  getTypeParser(oid, format) {
    if ([1082, 1114, 1184, 1083, 1266].includes(oid)) return (value) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

const NUMERIC = /^(tinyint|smallint|integer|int|int2|int4|int8|bigint|hugeint|ubigint|uinteger|usmallint|utinyint|double|double precision|real|float|float4|float8|numeric|decimal)\b/;

/** Numbers (of a numeric column) compared by value (10.00 = 10), to 9 significant digits; everything else as text. */
export function normalizeValue(value, type = '') {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (NUMERIC.test(String(type).toLowerCase()) || typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    return Number.isNaN(n) ? String(value) : Number(n.toPrecision(9));
  }
  return String(value);
}

/**
 * Opens the warehouse, reads every relation in `relations` ({key: {schema, identifier, snapshot}}),
 * and returns {key: {columns: [name, ...], types: [type, ...], rows: [[...], ...]}}.
 */
export async function dumpRelations(connection, relations) {
  const db = await open(connection);
  try {
    const result = {};
    for (const [key, relation] of Object.entries(relations)) {
      const info = await db.query(
        `select column_name, data_type from information_schema.columns where table_schema = '${relation.schema}' and table_name = '${relation.identifier}' order by ordinal_position`,
      );
      if (info.length === 0) {
        result[key] = { missing: true };
        continue;
      }
      const columns = info.map((c) => c.column_name).filter((c) => !(relation.snapshot && TIME_COLUMNS.includes(c)));
      const types = info.filter((c) => columns.includes(c.column_name)).map((c) => String(c.data_type).toLowerCase());
      const select = columns.map((c) => `"${c}"`).join(', ');
      const rows = (await db.query(`select ${select} from "${relation.schema}"."${relation.identifier}"`)).map((row) => columns.map((c, i) => normalizeValue(row[c], types[i])));
      rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
      result[key] = relation.snapshot ? { columns: [...columns].sort(), types: columns.map((c, i) => [c, types[i]]).sort().map(([, t]) => t), rows: sortColumns(columns, rows) } : { columns, types, rows };
    }
    return result;
  } finally {
    await db.close();
  }
}

/** Snapshot tables add their columns in an order of their own: compare them by name. */
function sortColumns(columns, rows) {
  const order = columns.map((c, i) => [c, i]).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, i]) => i);
  const sorted = rows.map((row) => order.map((i) => row[i]));
  sorted.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return sorted;
}

async function open(connection) {
  if (connection.type === 'duckdb') {
    const instance = await DuckDBInstance.create(connection.path);
    const conn = await instance.connect();
    return {
      async query(sql) {
        return (await conn.runAndReadAll(sql)).getRowObjectsJson();
      },
      async close() {
        conn.closeSync();
        instance.closeSync();
      },
    };
  }
  const client = new pg.Client({ ...connection.pg, types: rawTypes });
  await client.connect();
  return {
    async query(sql) {
      return (await client.query(sql)).rows;
    },
    async close() {
      await client.end();
    },
  };
}
