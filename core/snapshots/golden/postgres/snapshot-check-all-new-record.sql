create table "snapshots"."orders_snapshot" as (
select
  smelt_source.*,
  md5(coalesce(cast(smelt_source."id" as varchar), '') || '|' || coalesce(cast(cast('2024-06-01 00:00:00.000' as timestamp) as varchar), '')) as "dbt_scd_id",
  cast('2024-06-01 00:00:00.000' as timestamp) as "dbt_updated_at",
  cast('2024-06-01 00:00:00.000' as timestamp) as "dbt_valid_from",
  cast('9999-12-31' as timestamp) as "dbt_valid_to",
  'False' as "dbt_is_deleted"
from (
select * from "shop"."orders"
) as smelt_source
);

create table "snapshots"."orders_snapshot__snap__smelt_tmp" as (
select smelt_source.*, cast('2024-06-01 00:00:00.000' as timestamp) as "smelt_updated_at"
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
  and (t."dbt_valid_to" is null or t."dbt_valid_to" = cast('9999-12-31' as timestamp))
  and (t."status" is distinct from s."status" or t."updated_at" is distinct from s."updated_at" or t."channel" is distinct from s."channel" or t."dbt_is_deleted" = 'True');

insert into "snapshots"."orders_snapshot" ("id", "status", "updated_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted")
select t."id", t."status", t."updated_at", md5(coalesce(cast(t."dbt_scd_id" as varchar), '') || '|' || coalesce(cast(cast('2024-06-01 00:00:00.000' as timestamp) as varchar), '')), cast('2024-06-01 00:00:00.000' as timestamp), cast('2024-06-01 00:00:00.000' as timestamp), cast('9999-12-31' as timestamp), 'True'
from "snapshots"."orders_snapshot" as t
where (t."dbt_valid_to" is null or t."dbt_valid_to" = cast('9999-12-31' as timestamp)) and t."dbt_is_deleted" = 'False'
  and not exists (select 1 from "snapshots"."orders_snapshot__snap__smelt_tmp" as s where s."id" = t."id");

update "snapshots"."orders_snapshot" as t
set "dbt_valid_to" = cast('2024-06-01 00:00:00.000' as timestamp)
where (t."dbt_valid_to" is null or t."dbt_valid_to" = cast('9999-12-31' as timestamp)) and t."dbt_is_deleted" = 'False'
  and not exists (select 1 from "snapshots"."orders_snapshot__snap__smelt_tmp" as s where s."id" = t."id");

insert into "snapshots"."orders_snapshot" ("id", "status", "updated_at", "channel", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted")
select s."id", s."status", s."updated_at", s."channel", md5(coalesce(cast(s."id" as varchar), '') || '|' || coalesce(cast(s."smelt_updated_at" as varchar), '')), s."smelt_updated_at", s."smelt_updated_at", cast('9999-12-31' as timestamp), 'False'
from "snapshots"."orders_snapshot__snap__smelt_tmp" as s
where not exists (select 1 from "snapshots"."orders_snapshot" as t where t."id" = s."id" and (t."dbt_valid_to" is null or t."dbt_valid_to" = cast('9999-12-31' as timestamp)));
