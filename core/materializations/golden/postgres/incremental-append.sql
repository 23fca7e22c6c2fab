create temp view "pg_temp"."fct_events__incr__smelt_tmp" as (
select 1 as event_id
);

set local jit = off;

insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from "pg_temp"."fct_events__incr__smelt_tmp";
