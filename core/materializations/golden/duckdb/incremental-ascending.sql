insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select case
    when DBT_INTERNAL_SOURCE."event_id" is null or DBT_INTERNAL_SOURCE."user_id" is null then error('smelt: a new row has a NULL in the unique_key')
    when SMELT_LARGEST_KEY."event_id" is null or DBT_INTERNAL_SOURCE."event_id" > SMELT_LARGEST_KEY."event_id" then DBT_INTERNAL_SOURCE."event_id"
    else error('smelt: a batch key does not sort after the keys the table has')
  end, DBT_INTERNAL_SOURCE."user_id", DBT_INTERNAL_SOURCE."amount"
from (
select * from batch
) as DBT_INTERNAL_SOURCE,
  (select max("event_id") as "event_id" from "analytics"."fct_events") as SMELT_LARGEST_KEY;
