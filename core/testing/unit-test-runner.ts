import type { Adapter, ColumnMeta, Connection } from '../adapters/adapter.js';
import type { Dialect } from '../adapters/dialect.js';
import { stripTrailingSemicolon } from '../adapters/dialect.js';
import { TestError } from '../errors.js';
import type { CompiledNode, Manifest, SourceNode, UnitTestFixture, UnitTestInput } from '../manifest/types.js';
import { inlineCtes, type Cte } from '../template/inline-ctes.js';
import { didYouMean } from '../util/suggest.js';
import type { ColumnCache } from './column-cache.js';
import { describeQuery } from './describe-query.js';

export interface UnitTestRun {
  adapter: Adapter;
  connection: Connection;
  manifest: Manifest;
  columns: ColumnCache;
  test: CompiledNode;
}

/** Diff rows shown in the failure message; the count covers them all. */
const SHOWN_DIFFS = 10;

/**
 * Runs a unit test: each input becomes a CTE of its given rows (cast to the input's column
 * types, read from the warehouse or from YAML `data_type`s), the model's SQL runs on them, and
 * its output is compared with the expected rows as multisets (EXCEPT ALL both ways), on the
 * expected columns only, as dbt does. Nothing is created or read in the real relations except
 * their column types.
 */
export async function runUnitTest(run: UnitTestRun): Promise<{ failures: number; message?: string }> {
  const { adapter, connection, manifest, test } = run;
  const dialect = adapter.dialect;
  const spec = test.test!.unit!;
  const model = manifest.nodes[test.test!.attachedNode!]!;

  const ctes: Cte[] = [];
  for (const input of spec.given) {
    const node = manifest.nodes[input.node] ?? manifest.sources[input.node];
    ctes.push({ name: input.cte, sql: await inputSql(run, input, node) });
  }
  const actualSql = inlineCtes(test.compiledSql, ctes);
  const schema = { schema: model.relation.schema, ...(model.relation.database ? { database: model.relation.database } : {}) };
  const actualColumns = await describeQuery(adapter, connection, actualSql, schema);

  // The columns compared: those the expected rows name (or the expected SQL returns).
  const expected = spec.expect;
  let expectedColumns: { name: string; actual: ColumnMeta }[];
  let expectedSql: string;
  if (expected.sql !== undefined) {
    const columns = await describeQuery(adapter, connection, expected.sql, schema);
    expectedColumns = columns.map((c) => ({ name: c.name, actual: requireColumn(actualColumns, c.name, test, model, expected, undefined) }));
    expectedSql = `select * from (\n${stripTrailingSemicolon(expected.sql)}\n) as __smelt_expect`;
  } else {
    const rows = expected.rows ?? [];
    const names = columnsOf(rows);
    expectedColumns = names.map((name) => ({ name, actual: requireColumn(actualColumns, name, test, model, expected, rows.findIndex((r) => name in r)) }));
    if (rows.length === 0) expectedColumns = actualColumns.map((c) => ({ name: c.name, actual: c }));
    expectedSql = rows.length === 0
      ? `select ${expectedColumns.map((c) => `cast(null as ${c.actual.dataType}) as ${dialect.quote(c.actual.name)}`).join(', ')} where 1 = 0`
      : rows.map((row) => `select ${expectedColumns.map((c) => `${typed(valueOf(row, c.name), c.actual.dataType, dialect)} as ${dialect.quote(c.actual.name)}`).join(', ')}`).join('\nunion all\n');
  }
  const list = expectedColumns.map((c) => dialect.quote(c.actual.name)).join(', ');
  const compare = `with __smelt_actual as (
  select ${list} from (
${stripTrailingSemicolon(actualSql)}
  ) as __smelt_model
), __smelt_expected as (
  select ${list} from (
${expectedSql}
  ) as __smelt_rows
)
select '-' as __smelt_diff, * from (select * from __smelt_expected except all select * from __smelt_actual) as __smelt_missing
union all
select '+' as __smelt_diff, * from (select * from __smelt_actual except all select * from __smelt_expected) as __smelt_unexpected`;
  const diffs = await connection.query(compare);
  if (diffs.length === 0) return { failures: 0 };
  const missing = diffs.filter((d) => d.__smelt_diff === '-').length;
  const lines = [`${model.name} returned ${diffs.length - missing} row${diffs.length - missing === 1 ? '' : 's'} not expected and missed ${missing} expected row${missing === 1 ? '' : 's'} (- expected, + actual):`];
  for (const diff of diffs.slice(0, SHOWN_DIFFS)) {
    const { __smelt_diff: sign, ...row } = diff;
    lines.push(`  ${String(sign)} {${Object.entries(row).map(([k, v]) => `${k}: ${display(v)}`).join(', ')}}`);
  }
  if (diffs.length > SHOWN_DIFFS) lines.push(`  ... and ${diffs.length - SHOWN_DIFFS} more`);
  return { failures: diffs.length, message: lines.join('\n') };
}

/** The SQL of one input: its rows cast to the input's column types, every column present. */
async function inputSql(run: UnitTestRun, input: UnitTestInput, node: CompiledNode | SourceNode | undefined): Promise<string> {
  if (input.sql !== undefined) return stripTrailingSemicolon(input.sql);
  const dialect = run.adapter.dialect;
  const rows = input.rows ?? [];
  const columns = await inputColumns(run, node);
  const where = (k: number) => ({ file: input.file ?? run.test.path, line: input.rowLines[k] ?? input.line, node: run.test.uniqueId });
  if (columns) {
    rows.forEach((row, k) => {
      for (const key of Object.keys(row)) {
        if (!columns.some((c) => c.name.toLowerCase() === key.toLowerCase())) {
          const names = columns.map((c) => c.name);
          throw new TestError(
            `Unit test ${run.test.name}: a row given for ${input.input} has column '${key}', which ${node?.name ?? input.input} does not have`,
            where(k),
            `${didYouMean(key, names) ?? ''} Its columns: ${names.join(', ')}.`.trim(),
          );
        }
      }
    });
    const select = (row: Record<string, unknown> | undefined) =>
      `select ${columns.map((c) => `${typed(row ? valueOf(row, c.name) : null, c.dataType, dialect)} as ${dialect.quote(c.name)}`).join(', ')}`;
    return rows.length === 0 ? `${select(undefined)} where 1 = 0` : rows.map(select).join('\nunion all\n');
  }
  const names = columnsOf(rows);
  if (names.length === 0) {
    throw new TestError(
      `Unit test ${run.test.name}: cannot tell the columns of ${input.input}: it is not in the warehouse, has no rows and no columns in YAML`,
      { file: input.file ?? run.test.path, line: input.line, node: run.test.uniqueId },
      `Build ${node?.name ?? 'it'} once (its column types are read from the warehouse), declare its columns with data_type in YAML, or use format: sql.`,
    );
  }
  return rows.map((row) => `select ${names.map((n) => `${typed(row[n] ?? null, undefined, dialect)} as ${dialect.quote(n)}`).join(', ')}`).join('\nunion all\n');
}

/** The input's columns: from the warehouse when it is there, else from YAML `data_type`s. */
async function inputColumns(run: UnitTestRun, node: CompiledNode | SourceNode | undefined): Promise<ColumnMeta[] | undefined> {
  if (!node) return undefined;
  const ephemeral = node.resourceType !== 'source' && node.config.materialized === 'ephemeral';
  if (!ephemeral) {
    const columns = await run.columns.columns(node.relation);
    if (columns && columns.length > 0) return columns;
  }
  const declared = Object.values(node.columns);
  if (declared.length > 0 && declared.every((c) => c.data_type)) return declared.map((c) => ({ name: c.name, dataType: c.data_type! }));
  return undefined;
}

function requireColumn(actual: ColumnMeta[], name: string, test: CompiledNode, model: CompiledNode, expected: UnitTestFixture, rowIndex: number | undefined): ColumnMeta {
  const match = actual.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (match) return match;
  const names = actual.map((c) => c.name);
  throw new TestError(
    `Unit test ${test.name}: expect names column '${name}', which ${model.name} does not return`,
    { file: expected.file ?? test.path, line: rowIndex !== undefined && rowIndex >= 0 ? expected.rowLines[rowIndex] ?? expected.line : expected.line, node: test.uniqueId },
    `${didYouMean(name, names) ?? ''} ${model.name} returns: ${names.join(', ')}.`.trim(),
  );
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const names: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!names.some((n) => n.toLowerCase() === key.toLowerCase())) names.push(key);
  return names;
}

function valueOf(row: Record<string, unknown>, column: string): unknown {
  const key = Object.keys(row).find((k) => k.toLowerCase() === column.toLowerCase());
  return key === undefined ? null : row[key];
}

/** A YAML value as a SQL literal, cast to the column's type when it is known. */
export function typed(value: unknown, type: string | undefined, dialect: Dialect): string {
  let literal: string;
  if (value === null || value === undefined) literal = 'null';
  else if (typeof value === 'boolean') literal = value ? 'true' : 'false';
  else if (typeof value === 'number' || typeof value === 'bigint') literal = String(value);
  else if (value instanceof Date) literal = dialect.literal(value.toISOString());
  else if (typeof value === 'object') literal = dialect.literal(JSON.stringify(value));
  else literal = dialect.literal(String(value));
  return type ? `cast(${literal} as ${type})` : literal;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString().replace('T00:00:00.000Z', '');
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return String((value as { toString(): string }).toString());
  return String(value);
}
