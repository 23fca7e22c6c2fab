create table if not exists "raw_cdc"."customers" (
  "_cdc_seq" bigint not null,
  "_cdc_event_id" varchar not null,
  "_cdc_op" varchar not null,
  "_cdc_lsn" bigint,
  "_cdc_ts_ms" bigint,
  "_cdc_source_ts_ms" bigint,
  "_cdc_tx_id" bigint,
  "_cdc_snapshot" boolean,
  "_cdc_table" varchar,
  "_cdc_key" varchar,
  "id" integer,
  "_cdc_before" json,
  "_cdc_after" json,
  "_cdc_file" varchar,
  "_cdc_line" integer,
  "_cdc_loaded_at" timestamp
);

create unique index if not exists "customers__event_id" on "raw_cdc"."customers" ("_cdc_event_id");

create index if not exists "customers__seq" on "raw_cdc"."customers" ("_cdc_seq");

create table "raw_cdc"."customers__load__smelt_tmp" ("_cdc_seq" bigint, "_cdc_event_id" varchar, "_cdc_op" varchar, "_cdc_lsn" bigint, "_cdc_ts_ms" bigint, "_cdc_source_ts_ms" bigint, "_cdc_tx_id" bigint, "_cdc_snapshot" boolean, "_cdc_table" varchar, "_cdc_key" varchar, "id" varchar, "_cdc_before" json, "_cdc_after" json, "_cdc_file" varchar, "_cdc_line" integer);

insert into "raw_cdc"."customers__load__smelt_tmp" ("_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line")
select "_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line" from (select unnest(from_json(cast($1 as json), '[{"_cdc_seq":"BIGINT","_cdc_event_id":"VARCHAR","_cdc_op":"VARCHAR","_cdc_lsn":"BIGINT","_cdc_ts_ms":"BIGINT","_cdc_source_ts_ms":"BIGINT","_cdc_tx_id":"BIGINT","_cdc_snapshot":"BOOLEAN","_cdc_table":"VARCHAR","_cdc_key":"VARCHAR","id":"VARCHAR","_cdc_before":"JSON","_cdc_after":"JSON","_cdc_file":"VARCHAR","_cdc_line":"INTEGER"}]'), recursive := true)) as b;

insert into "raw_cdc"."customers" ("_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line", "_cdc_loaded_at")
select s."_cdc_seq", s."_cdc_event_id", s."_cdc_op", s."_cdc_lsn", s."_cdc_ts_ms", s."_cdc_source_ts_ms", s."_cdc_tx_id", s."_cdc_snapshot", s."_cdc_table", s."_cdc_key", cast(s."id" as integer), s."_cdc_before", s."_cdc_after", s."_cdc_file", s."_cdc_line", cast('2024-01-01 00:00:00.000' as timestamp)
from (
  select *, row_number() over (partition by "_cdc_event_id" order by "_cdc_seq") as smelt_copy
  from "raw_cdc"."customers__load__smelt_tmp"
) as s
where s.smelt_copy = 1
  and not exists (select 1 from "raw_cdc"."customers" as l where l."_cdc_event_id" = s."_cdc_event_id");
