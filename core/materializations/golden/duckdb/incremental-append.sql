create temp view "temp"."main"."fct_events__incr__smelt_tmp" as (
select 1 as event_id
);

insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from "temp"."main"."fct_events__incr__smelt_tmp";
