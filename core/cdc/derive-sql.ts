import { stripTrailingSemicolon, type Dialect } from '../adapters/dialect.js';
import { CHANGE_LOG_COLUMNS as C } from './change-log.js';
import { typedField, type JsonSql } from './json-sql.js';

/**
 * The SQL that derives a table's current state and its SCD2 history from a change log. Pure:
 * golden files pin it per dialect.
 *
 * Events are ordered by source LSN, then source ts_ms, then load order (`_cdc_seq`) — never by
 * file order. A truncate applies to every key whose last event came before it.
 */
export interface DeriveInput {
  dialect: Dialect;
  json: JsonSql;
  /** The model's SELECT over the change log (it may filter, never reshape). */
  changes: string;
  /** Primary-key columns (typed columns of the change log). */
  key: readonly string[];
  /** Output columns in order, key columns among them; the others are read from the row image. */
  columns: readonly OutputColumn[];
  /** Recompute only keys with events loaded after this `_cdc_seq` (incremental); all when undefined. */
  since?: number;
}

export interface OutputColumn {
  name: string;
  dataType?: string;
}

/** Columns smelt adds to a derived table. */
export const CURRENT_META = ['_cdc_op', '_cdc_lsn', '_cdc_updated_at', C.key] as const;
export const HISTORY_META = ['valid_from', 'valid_to', 'is_current', 'op', '_cdc_lsn', C.key] as const;

/** Latest event per key; deleted and truncated keys removed. */
export function currentStateSql(input: DeriveInput): string {
  const { dialect } = input;
  const q = (c: string) => dialect.quote(c);
  return `${candidates(input, q(C.after))},
smelt_latest as (
  select *, row_number() over (partition by ${q(C.key)} order by ${order(q, 'desc')}) as smelt_rank
  from smelt_candidates
)
select
  ${[...projection(input, 'smelt_state'), `${q(C.op)} as ${q('_cdc_op')}`, `${q(C.lsn)} as ${q('_cdc_lsn')}`, `${eventTime(input)} as ${q('_cdc_updated_at')}`, q(C.key)].join(',\n  ')}
from smelt_latest
where smelt_rank = 1 and ${q(C.op)} in ('c', 'u', 'r')`;
}

/**
 * One row per version of each key: creates, updates and snapshot reads open a version, a delete
 * or truncate closes it with a row of its own (op 'd' / 't', values from the before image). A
 * snapshot read that repeats the current version is not a new version.
 */
export function historySql(input: DeriveInput): string {
  const { dialect } = input;
  const q = (c: string) => dialect.quote(c);
  const image = `case when ${q(C.op)} = 'd' then ${q(C.before)} else ${q(C.after)} end`;
  const window = `(partition by ${q(C.key)} order by ${order(q, 'asc')})`;
  return `${candidates(input, image)},
smelt_ordered as (
  select *,
    coalesce(lag(${q(C.op)}) over ${window}, '-') as smelt_prev_op,
    lag(smelt_state) over ${window} as smelt_prev_state
  from smelt_candidates
),
smelt_versions as (
  select * from smelt_ordered
  where not (${q(C.op)} = 't' and smelt_prev_op in ('-', 'd', 't'))
    and not (${q(C.op)} = 'd' and smelt_prev_op in ('d', 't'))
    and not (${q(C.op)} = 'r' and smelt_prev_op in ('c', 'u', 'r') and coalesce(smelt_state = smelt_prev_state, false))
)
select
  ${[
    ...projection(input, 'smelt_state'),
    `${eventTime(input)} as ${q('valid_from')}`,
    `lead(${eventTime(input)}) over ${window} as ${q('valid_to')}`,
    `(lead(${q(C.seq)}) over ${window} is null and ${q(C.op)} in ('c', 'u', 'r')) as ${q('is_current')}`,
    `${q(C.op)} as ${q('op')}`,
    `${q(C.lsn)} as ${q('_cdc_lsn')}`,
    q(C.key),
  ].join(',\n  ')}
from smelt_versions`;
}

/** The keys with events loaded after `since`: what an incremental step recomputes. */
export function affectedKeysSql(dialect: Dialect, changeLog: string, since: number): string {
  const q = (c: string) => dialect.quote(c);
  return `select distinct ${q(C.key)} from ${changeLog} where ${q(C.seq)} > ${Math.floor(since)} and ${q(C.key)} is not null`;
}

/** Whether a truncate was loaded after `since` (it touches every key: the step recomputes all). */
export function truncatesSinceSql(dialect: Dialect, changeLog: string, since: number): string {
  const q = (c: string) => dialect.quote(c);
  return `select count(*) as n from ${changeLog} where ${q(C.seq)} > ${Math.floor(since)} and ${q(C.op)} = 't'`;
}

/**
 * The events of the keys being derived, each with the row image it contributes (`smelt_state`),
 * plus one synthetic 't' event per key for every truncate of its table.
 */
function candidates(input: DeriveInput, image: string): string {
  const { dialect, json } = input;
  const q = (c: string) => dialect.quote(c);
  const keys = input.key.map(q);
  const times = [C.lsn, C.tsMs, C.sourceTsMs, C.seq].map(q);
  const restrict = input.since === undefined
    ? ''
    : `\n    and ${q(C.key)} in (select ${q(C.key)} from smelt_changes where ${q(C.seq)} > ${Math.floor(input.since)} and ${q(C.key)} is not null)`;
  return `with smelt_changes as (
${stripTrailingSemicolon(input.changes)}
),
smelt_events as (
  select * from smelt_changes
  where ${q(C.op)} in ('c', 'u', 'r', 'd')${restrict}
),
smelt_truncates as (
  select ${[q(C.table), ...times].join(', ')} from smelt_changes where ${q(C.op)} = 't'
),
smelt_candidates as (
  select ${[q(C.key), ...keys, q(C.op), `${image} as smelt_state`, ...times].join(', ')}
  from smelt_events
  union all
  select ${[`k.${q(C.key)}`, ...keys.map((k) => `k.${k}`), `'t'`, `cast(null as ${json.jsonType})`, ...times.map((t) => `t.${t}`)].join(', ')}
  from (select distinct ${[q(C.key), ...keys, q(C.table)].join(', ')} from smelt_events) as k
  join smelt_truncates as t on t.${q(C.table)} is not distinct from k.${q(C.table)}
)`;
}

function projection(input: DeriveInput, image: string): string[] {
  const q = (c: string) => input.dialect.quote(c);
  return input.columns.map((column) =>
    input.key.includes(column.name) ? q(column.name) : `${typedField(input.json, image, column.name, column.dataType)} as ${q(column.name)}`,
  );
}

function order(q: (c: string) => string, direction: 'asc' | 'desc'): string {
  const nulls = direction === 'asc' ? 'nulls first' : 'nulls last';
  return [`${q(C.lsn)} ${direction} ${nulls}`, `coalesce(${q(C.sourceTsMs)}, ${q(C.tsMs)}) ${direction} ${nulls}`, `${q(C.seq)} ${direction}`].join(', ');
}

/** When the change happened in the source database (source.ts_ms, else the event's ts_ms), as a timestamp. */
function eventTime(input: DeriveInput): string {
  const q = (c: string) => input.dialect.quote(c);
  return input.json.timestampFromMicros(`coalesce(${q(C.sourceTsMs)}, ${q(C.tsMs)}) * 1000`);
}
