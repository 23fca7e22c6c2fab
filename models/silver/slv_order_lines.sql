-- Valid order lines only; one row per (order_id, line_number), the latest load wins.
with valid as (
  select * from {{ ref('slv_order_lines_checked') }} where reject_reason is null
), ranked as (
  select valid.*, row_number() over (partition by order_id, line_number order by _loaded_at desc) as _row_rank
  from valid
)
select
  order_id,
  line_number,
  customer_id,
  product_id,
  quantity,
  unit_price,
  cast(quantity * unit_price as numeric(14, 2)) as amount,
  status,
  ordered_at
from ranked
where _row_rank = 1
