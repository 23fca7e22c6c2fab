-- One row per product, latest version, typed.
with latest as (
  {{ dedupe_latest(ref('brz_products'), 'product_id', 'updated_at') }}
)
select
  cast(product_id as integer) as product_id,
  product_name,
  category,
  cast(unit_price as numeric(12, 2)) as unit_price,
  cast(updated_at as timestamp) as updated_at
from latest
