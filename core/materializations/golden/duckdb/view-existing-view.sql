create or replace view "analytics_gold"."fct_orders" as (
select order_id, sum(amount) as amount
from "analytics"."stg_orders"
group by order_id
);
