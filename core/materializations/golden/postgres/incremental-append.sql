insert into "analytics"."fct_events" ("event_id", "user_id", "amount")
select "event_id", "user_id", "amount" from "analytics"."fct_events__incr__smelt_tmp";
