import type { Adapter, ColumnMeta, Connection } from '../adapters/adapter.js';
import { TestError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { describeQuery } from './describe-query.js';

/**
 * Model contracts, as dbt's `contract: {enforced: true}`: the columns a model returns and
 * their types must be those declared in YAML. Checked on the model's SQL before anything is
 * built, so a model that breaks its contract leaves the previous relation as it was.
 */
export function isContractEnforced(node: CompiledNode): boolean {
  const contract = node.config.contract;
  return node.resourceType === 'model' && contract !== null && typeof contract === 'object' && (contract as { enforced?: unknown }).enforced === true;
}

export async function enforceContract(adapter: Adapter, connection: Connection, node: CompiledNode, sql = node.compiledSql): Promise<void> {
  if (!isContractEnforced(node)) return;
  const actual = await describeQuery(adapter, connection, sql, { schema: node.relation.schema, ...(node.relation.database ? { database: node.relation.database } : {}) });
  const problems = contractProblems(Object.values(node.columns).map((c) => ({ name: c.name, dataType: c.data_type ?? '' })), actual);
  if (problems.length === 0) return;
  const width = Math.max(6, ...problems.map((p) => p.column.length));
  const lines = [
    `${node.name} does not meet its contract; it was not built (the previous version is kept):`,
    `  ${'column'.padEnd(width)}  ${'declared'.padEnd(16)}  returned`,
    ...problems.map((p) => `  ${p.column.padEnd(width)}  ${p.declared.padEnd(16)}  ${p.actual}`),
  ];
  throw new TestError(lines.join('\n'), { file: node.patchPath ?? node.path, node: node.uniqueId }, 'Change the model, or its columns and data_type in YAML, so they agree.');
}

export interface ContractProblem {
  column: string;
  declared: string;
  actual: string;
}

/** Missing, extra and retyped columns (names compare case-insensitively, types by family). */
export function contractProblems(declared: readonly ColumnMeta[], actual: readonly ColumnMeta[]): ContractProblem[] {
  const problems: ContractProblem[] = [];
  for (const column of declared) {
    const match = actual.find((a) => a.name.toLowerCase() === column.name.toLowerCase());
    if (!match) problems.push({ column: column.name, declared: column.dataType, actual: '(missing)' });
    else if (!sameType(column.dataType, match.dataType)) problems.push({ column: column.name, declared: column.dataType, actual: match.dataType });
  }
  for (const column of actual) {
    if (!declared.some((d) => d.name.toLowerCase() === column.name.toLowerCase())) problems.push({ column: column.name, declared: '(not declared)', actual: column.dataType });
  }
  return problems;
}

/** The same type under DuckDB's or PostgreSQL's name: `int`/`int4`/`INTEGER`, `varchar(20)`/`character varying(20)` ... */
export function sameType(declared: string, actual: string): boolean {
  const a = canonicalType(declared);
  const b = canonicalType(actual);
  if (a.base !== b.base) {
    // `float` is 4 bytes in DuckDB and 8 in PostgreSQL: accept either for it.
    return a.raw === 'float' && (b.base === 'real' || b.base === 'double');
  }
  // Sizes count only when both sides give one (`numeric` accepts any precision).
  return a.params === '' || b.params === '' || a.params === b.params;
}

const ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', integer: 'integer', signed: 'integer',
  int8: 'bigint', bigint: 'bigint', long: 'bigint',
  int2: 'smallint', smallint: 'smallint', short: 'smallint',
  int1: 'tinyint', tinyint: 'tinyint',
  hugeint: 'hugeint',
  float4: 'real', real: 'real', float: 'real',
  float8: 'double', double: 'double', 'double precision': 'double',
  numeric: 'numeric', decimal: 'numeric',
  varchar: 'text', 'character varying': 'text', text: 'text', string: 'text', char: 'text', character: 'text', bpchar: 'text', nvarchar: 'text',
  bool: 'boolean', boolean: 'boolean', logical: 'boolean',
  date: 'date',
  timestamp: 'timestamp', 'timestamp without time zone': 'timestamp', datetime: 'timestamp',
  timestamptz: 'timestamptz', 'timestamp with time zone': 'timestamptz',
  time: 'time', 'time without time zone': 'time',
  timetz: 'timetz', 'time with time zone': 'timetz',
  json: 'json', jsonb: 'jsonb', uuid: 'uuid', interval: 'interval', bytea: 'blob', blob: 'blob',
};

function canonicalType(type: string): { base: string; params: string; raw: string } {
  const text = type.trim().toLowerCase().replace(/\s+/g, ' ');
  const match = /^([a-z_][a-z0-9_ ]*?)\s*(\([^)]*\))?\s*(with(?:out)? time zone)?$/.exec(text);
  if (!match) return { base: text, params: '', raw: text };
  const name = match[3] ? `${match[1]} ${match[3]}` : match[1]!;
  return { base: ALIASES[name] ?? name, params: (match[2] ?? '').replace(/\s+/g, ''), raw: name };
}
