merge into "analytics"."fct_events" as DBT_INTERNAL_DEST
using (
select * from batch
) as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE."event_id" = DBT_INTERNAL_DEST."event_id"
  and DBT_INTERNAL_SOURCE."user_id" = DBT_INTERNAL_DEST."user_id"
  and (DBT_INTERNAL_DEST.amount > 0)
when matched then error 'smelt: the batch has a key the table already has'
when not matched and (DBT_INTERNAL_SOURCE."event_id" is null or DBT_INTERNAL_SOURCE."user_id" is null) then error 'smelt: a new row has a NULL in the unique_key'
when not matched then insert ("event_id", "user_id", "amount")
  values (DBT_INTERNAL_SOURCE."event_id", DBT_INTERNAL_SOURCE."user_id", DBT_INTERNAL_SOURCE."amount");
