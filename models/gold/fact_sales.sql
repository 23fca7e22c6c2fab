{{ config(
    materialized='incremental',
    unique_key=['order_id', 'line_number'],
    incremental_strategy='merge',
    on_schema_change='fail'
) }}
-- Grain: one row per order line. Incremental: a build takes only the lines of extractions newer
-- than the newest already in the table and merges them on (order_id, line_number), so a since=
-- batch adds its new lines and updates the lines it re-sends (a status change).
-- The customer is the dim_customers version valid when the order was placed (a deleted
-- customer's last version stays valid for orders that arrive after the deletion).
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
  l.amount,
  l._batch,
  l._extracted_at
from {{ ref('slv_order_lines') }} as l
join {{ ref('dim_customers') }} as c
  on c.customer_id = l.customer_id
  and l.ordered_at >= c.valid_from
  and (c.valid_to is null or c.is_deleted or l.ordered_at < c.valid_to)
join {{ ref('dim_products') }} as p on p.product_id = l.product_id
{% if is_incremental() %}
where l._extracted_at > (select max(_extracted_at) from {{ this }})
{% endif %}
