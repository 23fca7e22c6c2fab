select
  {{ surrogate_key(['customer_id']) }} as customer_key,
  customer_id,
  first_name,
  last_name,
  first_name || ' ' || last_name as full_name,
  email,
  country_code,
  updated_at
from {{ ref('slv_customers') }}
