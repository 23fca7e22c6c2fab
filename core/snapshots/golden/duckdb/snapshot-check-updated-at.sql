create table "snapshots"."orders_snapshot" as (
select
  smelt_source.*,
  md5(coalesce(cast(smelt_source."id" as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as "dbt_scd_id",
  updated_at as "dbt_updated_at",
  updated_at as "dbt_valid_from",
  nullif(updated_at, updated_at) as "dbt_valid_to"
from (
select * from "shop"."orders"
) as smelt_source
);

create table "snapshots"."orders_snapshot__snap__smelt_tmp" as (
select smelt_source.*, updated_at as "smelt_updated_at"
from (
select * from "shop"."orders"
) as smelt_source
);

select
  (select count(*) from "snapshots"."orders_snapshot__snap__smelt_tmp" where "id" is null) as null_keys,
  (select count(*) from (select "id" from "snapshots"."orders_snapshot__snap__smelt_tmp" group by "id" having count(*) > 1) as d) as duplicate_keys;

alter table "snapshots"."orders_snapshot" add column "channel" VARCHAR;

update "snapshots"."orders_snapshot" as t
set "dbt_valid_to" = s."smelt_updated_at"
from "snapshots"."orders_snapshot__snap__smelt_tmp" as s
where t."id" = s."id"
  and t."dbt_valid_to" is null
  and (t."status" is distinct from s."status");

insert into "snapshots"."orders_snapshot" ("id", "status", "updated_at", "channel", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")
select s."id", s."status", s."updated_at", s."channel", md5(coalesce(cast(s."id" as varchar), '') || '|' || coalesce(cast(s."smelt_updated_at" as varchar), '')), s."smelt_updated_at", s."smelt_updated_at", nullif(s."smelt_updated_at", s."smelt_updated_at")
from "snapshots"."orders_snapshot__snap__smelt_tmp" as s
where not exists (select 1 from "snapshots"."orders_snapshot" as t where t."id" = s."id" and t."dbt_valid_to" is null);
