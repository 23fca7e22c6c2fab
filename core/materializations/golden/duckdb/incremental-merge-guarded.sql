merge into "analytics"."fct_events" as DBT_INTERNAL_DEST
using "temp"."main"."fct_events__incr__smelt_tmp" as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE."event_id" = DBT_INTERNAL_DEST."event_id"
when matched then update set
  "user_id" = DBT_INTERNAL_SOURCE."user_id",
  "amount" = DBT_INTERNAL_SOURCE."amount"
when not matched and (DBT_INTERNAL_SOURCE."event_id" is null) then error 'smelt: a new row has a NULL in the unique_key'
when not matched then insert ("event_id", "user_id", "amount")
  values (DBT_INTERNAL_SOURCE."event_id", DBT_INTERNAL_SOURCE."user_id", DBT_INTERNAL_SOURCE."amount");
