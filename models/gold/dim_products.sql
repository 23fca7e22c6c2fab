select
  {{ surrogate_key(['product_id']) }} as product_key,
  product_id,
  product_name,
  category,
  unit_price
from {{ ref('slv_products') }}
