-- Reconciliation: every valid order line in silver lands in fact_sales, in its latest state
-- (same status and amount). Returns the lines that are missing or stale.
select l.order_id, l.line_number, l.status, l.amount, f.status as fact_status, f.amount as fact_amount
from {{ ref('slv_order_lines') }} as l
left join {{ ref('fact_sales') }} as f
  on f.order_id = l.order_id and f.line_number = l.line_number
where f.order_id is null or f.status <> l.status or f.amount <> l.amount
