-- Valid order lines only; one row per (order_id, line_number): the line from the latest
-- extraction wins (a since= batch re-sends a line whose status changed).
with valid as (
  select * from {{ ref('slv_order_lines_checked') }} where reject_reason is null
), ranked as (
  select valid.*, row_number() over (partition by order_id, line_number order by _extracted_at desc) as _row_rank
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
  ordered_at,
  _batch,
  _extracted_at
from ranked
where _row_rank = 1
