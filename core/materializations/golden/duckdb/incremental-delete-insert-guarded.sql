delete from "analytics"."fct_events" as DBT_INTERNAL_DEST
using "temp"."main"."fct_events__incr__smelt_tmp" as DBT_INTERNAL_SOURCE
where DBT_INTERNAL_SOURCE."event_id" = DBT_INTERNAL_DEST."event_id"
  and DBT_INTERNAL_SOURCE."user_id" = DBT_INTERNAL_DEST."user_id";

insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from "temp"."main"."fct_events__incr__smelt_tmp" as DBT_INTERNAL_SOURCE
where not (DBT_INTERNAL_SOURCE."event_id" is null or DBT_INTERNAL_SOURCE."user_id" is null) or error('smelt: a new row has a NULL in the unique_key');
