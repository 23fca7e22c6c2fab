-- Grain: one row per order line.
select
  {{ surrogate_key(['l.order_id', 'l.line_number']) }} as sales_key,
  l.order_id,
  l.line_number,
  c.customer_key,
  p.product_key,
  cast(extract(year from l.ordered_at) * 10000 + extract(month from l.ordered_at) * 100 + extract(day from l.ordered_at) as integer) as order_date_key,
  l.ordered_at,
  l.status,
  l.quantity,
  l.unit_price,
  l.amount
from {{ ref('slv_order_lines') }} as l
join {{ ref('dim_customers') }} as c on c.customer_id = l.customer_id
join {{ ref('dim_products') }} as p on p.product_id = l.product_id
