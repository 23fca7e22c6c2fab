{{ config(materialized='ephemeral') }}
-- Every order line, typed, with the reason it is rejected (NULL when it is valid).
with typed as (
  select
    {{ safe_cast('order_id', 'integer') }} as order_id,
    {{ safe_cast('line_number', 'integer') }} as line_number,
    {{ safe_cast('customer_id', 'integer') }} as customer_id,
    {{ safe_cast('product_id', 'integer') }} as product_id,
    {{ safe_cast('quantity', 'integer') }} as quantity,
    {{ safe_cast('unit_price', 'numeric(12, 2)') }} as unit_price,
    lower(status) as status,
    cast(ordered_at as timestamp) as ordered_at,
    _batch,
    _extracted_at,
    _loaded_at
  from {{ ref('brz_order_lines') }}
)
select
  typed.*,
  case
    when typed.order_id is null or typed.line_number is null then 'missing key'
    when c.customer_id is null then 'unknown customer'
    when p.product_id is null then 'unknown product'
    when typed.quantity is null or typed.quantity <= 0 then 'quantity not positive'
    when typed.status not in ({% for s in var('valid_order_statuses') %}'{{ s }}'{{ ", " if not loop.last }}{% endfor %}) then 'unknown status'
  end as reject_reason
from typed
left join {{ ref('slv_customers') }} as c on c.customer_id = typed.customer_id
left join {{ ref('slv_products') }} as p on p.product_id = typed.product_id
