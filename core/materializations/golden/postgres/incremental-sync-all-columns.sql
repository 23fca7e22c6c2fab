alter table "analytics"."fct_events" add column "new_col" text;

alter table "analytics"."fct_events" drop column "old";

alter table "analytics"."fct_events" alter column "amount" set data type bigint using cast("amount" as bigint);
