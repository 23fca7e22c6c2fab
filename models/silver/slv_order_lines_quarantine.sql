-- Order lines that failed validation, kept with the reason rather than dropped silently.
select order_id, line_number, customer_id, product_id, quantity, unit_price, status, ordered_at, _batch, _extracted_at, reject_reason
from {{ ref('slv_order_lines_checked') }}
where reject_reason is not null
