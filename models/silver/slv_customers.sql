-- One row per customer: the latest version wins, names trimmed, e-mail lower-cased.
with latest as (
  {{ dedupe_latest(ref('brz_customers'), 'customer_id', 'updated_at') }}
)
select
  cast(customer_id as integer) as customer_id,
  trim(first_name) as first_name,
  trim(last_name) as last_name,
  lower(trim(email)) as email,
  upper(country) as country_code,
  cast(updated_at as timestamp) as updated_at
from latest
