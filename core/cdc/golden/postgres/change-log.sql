create table if not exists "raw_cdc"."customers" (
  "_cdc_seq" bigint not null,
  "_cdc_event_id" text not null,
  "_cdc_op" text not null,
  "_cdc_lsn" bigint,
  "_cdc_ts_ms" bigint,
  "_cdc_source_ts_ms" bigint,
  "_cdc_tx_id" bigint,
  "_cdc_snapshot" boolean,
  "_cdc_table" text,
  "_cdc_key" text,
  "id" integer,
  "_cdc_before" jsonb,
  "_cdc_after" jsonb,
  "_cdc_file" text,
  "_cdc_line" integer,
  "_cdc_loaded_at" timestamp
);

create unique index if not exists "customers__event_id" on "raw_cdc"."customers" ("_cdc_event_id");

create index if not exists "customers__seq" on "raw_cdc"."customers" ("_cdc_seq");

create table "raw_cdc"."customers__load__smelt_tmp" ("_cdc_seq" bigint, "_cdc_event_id" text, "_cdc_op" text, "_cdc_lsn" bigint, "_cdc_ts_ms" bigint, "_cdc_source_ts_ms" bigint, "_cdc_tx_id" bigint, "_cdc_snapshot" boolean, "_cdc_table" text, "_cdc_key" text, "id" text, "_cdc_before" jsonb, "_cdc_after" jsonb, "_cdc_file" text, "_cdc_line" integer);

insert into "raw_cdc"."customers__load__smelt_tmp" ("_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line")
select "_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line" from json_to_recordset(cast($1 as json)) as b("_cdc_seq" bigint, "_cdc_event_id" text, "_cdc_op" text, "_cdc_lsn" bigint, "_cdc_ts_ms" bigint, "_cdc_source_ts_ms" bigint, "_cdc_tx_id" bigint, "_cdc_snapshot" boolean, "_cdc_table" text, "_cdc_key" text, "id" text, "_cdc_before" jsonb, "_cdc_after" jsonb, "_cdc_file" text, "_cdc_line" integer);

insert into "raw_cdc"."customers" ("_cdc_seq", "_cdc_event_id", "_cdc_op", "_cdc_lsn", "_cdc_ts_ms", "_cdc_source_ts_ms", "_cdc_tx_id", "_cdc_snapshot", "_cdc_table", "_cdc_key", "id", "_cdc_before", "_cdc_after", "_cdc_file", "_cdc_line", "_cdc_loaded_at")
select s."_cdc_seq", s."_cdc_event_id", s."_cdc_op", s."_cdc_lsn", s."_cdc_ts_ms", s."_cdc_source_ts_ms", s."_cdc_tx_id", s."_cdc_snapshot", s."_cdc_table", s."_cdc_key", cast(s."id" as integer), s."_cdc_before", s."_cdc_after", s."_cdc_file", s."_cdc_line", cast('2024-01-01 00:00:00.000' as timestamp)
from (
  select *, row_number() over (partition by "_cdc_event_id" order by "_cdc_seq") as smelt_copy
  from "raw_cdc"."customers__load__smelt_tmp"
) as s
where s.smelt_copy = 1
  and not exists (select 1 from "raw_cdc"."customers" as l where l."_cdc_event_id" = s."_cdc_event_id");
