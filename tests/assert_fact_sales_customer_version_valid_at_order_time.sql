-- Every sale points at the version of its customer that was valid when the order was placed.
select f.sales_key, f.ordered_at, c.customer_id, c.valid_from, c.valid_to
from {{ ref('fact_sales') }} as f
join {{ ref('dim_customers') }} as c on c.customer_key = f.customer_key
where f.ordered_at < c.valid_from
   or (c.valid_to is not null and not c.is_deleted and f.ordered_at >= c.valid_to)
