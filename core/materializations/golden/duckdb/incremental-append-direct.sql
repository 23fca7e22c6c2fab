insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from (
with b as (select 1 as event_id) select * from b -- the batch
) as DBT_INTERNAL_SOURCE;
