drop table if exists "analytics_gold"."fct_orders__smelt_tmp";

create table "analytics_gold"."fct_orders__smelt_tmp" as (
select order_id, sum(amount) as amount
from "analytics"."stg_orders"
group by order_id
);

drop table "analytics_gold"."fct_orders";

alter table "analytics_gold"."fct_orders__smelt_tmp" rename to "fct_orders";
