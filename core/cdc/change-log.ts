import type { Dialect } from '../adapters/dialect.js';
import type { RelationName } from '../manifest/types.js';
import type { CdcSource } from './cdc-source.js';
import type { JsonSql, RecordsetColumn } from './json-sql.js';

/**
 * The change-log table of a CDC source: one row per change event, generic across tables (the
 * row images stay JSON), plus the primary key as typed columns. Columns that smelt adds start
 * with `_cdc_` so they never clash with the table's own.
 */
export const CHANGE_LOG_COLUMNS = {
  seq: '_cdc_seq',
  eventId: '_cdc_event_id',
  op: '_cdc_op',
  lsn: '_cdc_lsn',
  tsMs: '_cdc_ts_ms',
  sourceTsMs: '_cdc_source_ts_ms',
  txId: '_cdc_tx_id',
  snapshot: '_cdc_snapshot',
  table: '_cdc_table',
  key: '_cdc_key',
  before: '_cdc_before',
  after: '_cdc_after',
  file: '_cdc_file',
  line: '_cdc_line',
  loadedAt: '_cdc_loaded_at',
} as const;

const C = CHANGE_LOG_COLUMNS;

/** The fields of one loaded batch, as they are sent (a JSON array bound as one parameter). */
export function batchColumns(source: CdcSource, json: JsonSql): RecordsetColumn[] {
  return [
    { name: C.seq, type: 'bigint' },
    { name: C.eventId, type: json.textType },
    { name: C.op, type: json.textType },
    { name: C.lsn, type: 'bigint' },
    { name: C.tsMs, type: 'bigint' },
    { name: C.sourceTsMs, type: 'bigint' },
    { name: C.txId, type: 'bigint' },
    { name: C.snapshot, type: 'boolean' },
    { name: C.table, type: json.textType },
    { name: C.key, type: json.textType },
    ...source.key.map((k) => ({ name: k.name, type: json.textType })),
    { name: C.before, type: json.jsonType },
    { name: C.after, type: json.jsonType },
    { name: C.file, type: json.textType },
    { name: C.line, type: 'integer' },
  ];
}

export function createChangeLog(dialect: Dialect, json: JsonSql, source: CdcSource): string[] {
  const q = (c: string) => dialect.quote(c);
  const columns = [
    `${q(C.seq)} bigint not null`,
    `${q(C.eventId)} ${json.textType} not null`,
    `${q(C.op)} ${json.textType} not null`,
    `${q(C.lsn)} bigint`,
    `${q(C.tsMs)} bigint`,
    `${q(C.sourceTsMs)} bigint`,
    `${q(C.txId)} bigint`,
    `${q(C.snapshot)} boolean`,
    `${q(C.table)} ${json.textType}`,
    `${q(C.key)} ${json.textType}`,
    ...source.key.map((k) => `${q(k.name)} ${k.dataType ?? json.textType}`),
    `${q(C.before)} ${json.jsonType}`,
    `${q(C.after)} ${json.jsonType}`,
    `${q(C.file)} ${json.textType}`,
    `${q(C.line)} integer`,
    `${q(C.loadedAt)} timestamp`,
  ];
  const index = (suffix: string) => dialect.quote(`${source.relation.identifier}__${suffix}`);
  const log = dialect.relation(source.relation);
  return [
    `create table if not exists ${log} (\n  ${columns.join(',\n  ')}\n)`,
    // Kafka delivers at least once: the same event may come again in another file.
    `create unique index if not exists ${index('event_id')} on ${log} (${q(C.eventId)})`,
    // Models derived from the change log read only the events past their watermark.
    `create index if not exists ${index('seq')} on ${log} (${q(C.seq)})`,
  ];
}

/** The staging table a file's events are sent to, batch by batch, before they join the change log. */
export function createStaging(dialect: Dialect, json: JsonSql, source: CdcSource, staging: RelationName): string {
  const columns = batchColumns(source, json).map((c) => `${dialect.quote(c.name)} ${c.type}`);
  return `create table ${dialect.relation(staging)} (${columns.join(', ')})`;
}

/** Sends one batch (a JSON array bound as $1) to the staging table. */
export function insertBatch(dialect: Dialect, json: JsonSql, source: CdcSource, staging: RelationName): string {
  const fields = batchColumns(source, json);
  const names = fields.map((f) => dialect.quote(f.name)).join(', ');
  return `insert into ${dialect.relation(staging)} (${names})\nselect ${names} from ${json.recordset('$1', fields, 'b')}`;
}

/**
 * Moves a file's staged events into the change log: the first copy of each event, unless the
 * change log holds it already (a redelivery). One set-based step per file.
 */
export function mergeStaging(dialect: Dialect, json: JsonSql, source: CdcSource, staging: RelationName, loadedAt: string): string {
  const q = (c: string) => dialect.quote(c);
  const fields = batchColumns(source, json);
  const values = fields.map((f) => {
    const key = source.key.find((k) => k.name === f.name);
    return key?.dataType ? `cast(s.${q(f.name)} as ${key.dataType})` : `s.${q(f.name)}`;
  });
  const log = dialect.relation(source.relation);
  return `insert into ${log} (${[...fields.map((f) => f.name), C.loadedAt].map(q).join(', ')})
select ${[...values, loadedAt].join(', ')}
from (
  select *, row_number() over (partition by ${q(C.eventId)} order by ${q(C.seq)}) as smelt_copy
  from ${dialect.relation(staging)}
) as s
where s.smelt_copy = 1
  and not exists (select 1 from ${log} as l where l.${q(C.eventId)} = s.${q(C.eventId)})`;
}

export function createLoads(dialect: Dialect, json: JsonSql, relation: RelationName): string {
  const t = json.textType;
  return `create table if not exists ${dialect.relation(relation)} (
  source ${t} not null,
  file ${t} not null,
  checksum ${t} not null,
  events integer,
  new_events integer,
  duplicates integer,
  rejected integer,
  skipped integer,
  max_lsn bigint,
  max_ts_ms bigint,
  columns ${t},
  loaded_at timestamp
)`;
}

export const REJECT_COLUMNS = ['reject_id', 'file', 'line', 'reason', 'raw'] as const;

export function createRejects(dialect: Dialect, json: JsonSql, relation: RelationName): string {
  const t = json.textType;
  return `create table if not exists ${dialect.relation(relation)} (
  reject_id ${t} not null,
  file ${t} not null,
  line integer,
  reason ${t},
  raw ${t},
  loaded_at timestamp
)`;
}

export function insertRejects(dialect: Dialect, json: JsonSql, relation: RelationName, loadedAt: string): string {
  const table = dialect.relation(relation);
  const fields: RecordsetColumn[] = [
    { name: 'reject_id', type: json.textType },
    { name: 'file', type: json.textType },
    { name: 'line', type: 'integer' },
    { name: 'reason', type: json.textType },
    { name: 'raw', type: json.textType },
  ];
  return `insert into ${table} (reject_id, file, line, reason, raw, loaded_at)
select b.reject_id, b.file, b.line, b.reason, b.raw, ${loadedAt}
from ${json.recordset('$1', fields, 'b')}
where not exists (select 1 from ${table} as r where r.reject_id = b.reject_id)`;
}

/** A timestamp literal (UTC, no zone) both databases read the same way. */
export function timestampLiteral(date: Date): string {
  return `cast('${date.toISOString().replace('T', ' ').replace('Z', '')}' as timestamp)`;
}
