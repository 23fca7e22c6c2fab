delete from "analytics"."fct_events" as DBT_INTERNAL_DEST
using "temp"."main"."fct_events__incr__smelt_tmp" as DBT_INTERNAL_SOURCE
where DBT_INTERNAL_SOURCE."event_id" = DBT_INTERNAL_DEST."event_id"
  and DBT_INTERNAL_SOURCE."user_id" = DBT_INTERNAL_DEST."user_id"
  and (DBT_INTERNAL_DEST.amount > 0);

insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from "temp"."main"."fct_events__incr__smelt_tmp";
