with smelt_changes as (
select * from "raw_cdc"."customers"
),
smelt_events as (
  select * from smelt_changes
  where "_cdc_op" in ('c', 'u', 'r', 'd')
),
smelt_truncates as (
  select "_cdc_table", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_seq" from smelt_changes where "_cdc_op" = 't'
),
smelt_candidates as (
  select "_cdc_key", "id", "_cdc_op", case when "_cdc_op" = 'd' then "_cdc_before" else "_cdc_after" end as smelt_state, "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_seq"
  from smelt_events
  union all
  select k."_cdc_key", k."id", 't', cast(null as jsonb), t."_cdc_lsn", t."_cdc_ts_ms", t."_cdc_source_ts_ms", t."_cdc_seq"
  from (select distinct "_cdc_key", "id", "_cdc_table" from smelt_events) as k
  join smelt_truncates as t on t."_cdc_table" is not distinct from k."_cdc_table"
),
smelt_ordered as (
  select *,
    coalesce(lag("_cdc_op") over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc), '-') as smelt_prev_op,
    lag(smelt_state) over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) as smelt_prev_state
  from smelt_candidates
),
smelt_versions as (
  select * from smelt_ordered
  where not ("_cdc_op" = 't' and smelt_prev_op in ('-', 'd', 't'))
    and not ("_cdc_op" = 'd' and smelt_prev_op in ('d', 't'))
    and not ("_cdc_op" = 'r' and smelt_prev_op in ('c', 'u', 'r') and coalesce(smelt_state = smelt_prev_state, false))
)
select
  "id",
  cast((smelt_state ->> 'email') as varchar) as "email",
  case when coalesce(jsonb_typeof(smelt_state -> 'signup_date') = 'number', false) then cast('1970-01-01' as date) + cast((smelt_state ->> 'signup_date') as integer) else cast((smelt_state ->> 'signup_date') as date) end as "signup_date",
  case when coalesce(jsonb_typeof(smelt_state -> 'updated_at') = 'number', false) then cast((to_timestamp(cast(case when abs(cast((smelt_state ->> 'updated_at') as bigint)) >= 100000000000000 then cast((smelt_state ->> 'updated_at') as bigint) else cast((smelt_state ->> 'updated_at') as bigint) * 1000 end as double precision) / 1000000) at time zone 'UTC') as timestamp) else cast((smelt_state ->> 'updated_at') as timestamp) end as "updated_at",
  (smelt_state ->> 'note') as "note",
  (to_timestamp(cast(coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") * 1000 as double precision) / 1000000) at time zone 'UTC') as "valid_from",
  lead((to_timestamp(cast(coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") * 1000 as double precision) / 1000000) at time zone 'UTC')) over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) as "valid_to",
  (lead("_cdc_seq") over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) is null and "_cdc_op" in ('c', 'u', 'r')) as "is_current",
  "_cdc_op" as "op",
  "_cdc_lsn" as "_cdc_lsn",
  "_cdc_key"
from smelt_versions;

with smelt_changes as (
select * from "raw_cdc"."customers"
),
smelt_events as (
  select * from smelt_changes
  where "_cdc_op" in ('c', 'u', 'r', 'd')
    and "_cdc_key" in (select "_cdc_key" from smelt_changes where "_cdc_seq" > 42 and "_cdc_key" is not null)
),
smelt_truncates as (
  select "_cdc_table", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_seq" from smelt_changes where "_cdc_op" = 't'
),
smelt_candidates as (
  select "_cdc_key", "id", "_cdc_op", case when "_cdc_op" = 'd' then "_cdc_before" else "_cdc_after" end as smelt_state, "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_seq"
  from smelt_events
  union all
  select k."_cdc_key", k."id", 't', cast(null as jsonb), t."_cdc_lsn", t."_cdc_ts_ms", t."_cdc_source_ts_ms", t."_cdc_seq"
  from (select distinct "_cdc_key", "id", "_cdc_table" from smelt_events) as k
  join smelt_truncates as t on t."_cdc_table" is not distinct from k."_cdc_table"
),
smelt_ordered as (
  select *,
    coalesce(lag("_cdc_op") over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc), '-') as smelt_prev_op,
    lag(smelt_state) over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) as smelt_prev_state
  from smelt_candidates
),
smelt_versions as (
  select * from smelt_ordered
  where not ("_cdc_op" = 't' and smelt_prev_op in ('-', 'd', 't'))
    and not ("_cdc_op" = 'd' and smelt_prev_op in ('d', 't'))
    and not ("_cdc_op" = 'r' and smelt_prev_op in ('c', 'u', 'r') and coalesce(smelt_state = smelt_prev_state, false))
)
select
  "id",
  cast((smelt_state ->> 'email') as varchar) as "email",
  case when coalesce(jsonb_typeof(smelt_state -> 'signup_date') = 'number', false) then cast('1970-01-01' as date) + cast((smelt_state ->> 'signup_date') as integer) else cast((smelt_state ->> 'signup_date') as date) end as "signup_date",
  case when coalesce(jsonb_typeof(smelt_state -> 'updated_at') = 'number', false) then cast((to_timestamp(cast(case when abs(cast((smelt_state ->> 'updated_at') as bigint)) >= 100000000000000 then cast((smelt_state ->> 'updated_at') as bigint) else cast((smelt_state ->> 'updated_at') as bigint) * 1000 end as double precision) / 1000000) at time zone 'UTC') as timestamp) else cast((smelt_state ->> 'updated_at') as timestamp) end as "updated_at",
  (smelt_state ->> 'note') as "note",
  (to_timestamp(cast(coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") * 1000 as double precision) / 1000000) at time zone 'UTC') as "valid_from",
  lead((to_timestamp(cast(coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") * 1000 as double precision) / 1000000) at time zone 'UTC')) over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) as "valid_to",
  (lead("_cdc_seq") over (partition by "_cdc_key" order by "_cdc_lsn" asc nulls first, coalesce("_cdc_source_ts_ms", "_cdc_ts_ms") asc nulls first, "_cdc_seq" asc) is null and "_cdc_op" in ('c', 'u', 'r')) as "is_current",
  "_cdc_op" as "op",
  "_cdc_lsn" as "_cdc_lsn",
  "_cdc_key"
from smelt_versions;
