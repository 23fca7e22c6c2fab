-- The customer dimension, SCD2: one row per version of a customer, from the operational
-- database's change history (silver slv_customers_history). A fact row joins the version that
-- was valid when the order was placed. The first version of each customer is open from
-- 1900-01-01 (the change capture began after the customer signed up), and a customer deleted
-- in the source keeps its last version, closed at the deletion and flagged is_deleted.
with history as (
  select
    h.*,
    lead(op) over (partition by customer_id order by valid_from, _cdc_lsn) as next_op
  from {{ ref('slv_customers_history') }} as h
), versions as (
  select
    history.*,
    row_number() over (partition by customer_id order by valid_from, _cdc_lsn) as version_number
  from history
  where op not in ('d', 't')
)
select
  {{ surrogate_key(['customer_id', '_cdc_lsn']) }} as customer_key,
  customer_id,
  cast(version_number as integer) as version_number,
  trim(first_name) as first_name,
  trim(last_name) as last_name,
  trim(first_name) || ' ' || trim(last_name) as full_name,
  lower(trim(email)) as email,
  upper(country) as country_code,
  cast(updated_at as timestamp) as updated_at,
  case when version_number = 1 then cast('1900-01-01 00:00:00' as timestamp) else cast(valid_from as timestamp) end as valid_from,
  cast(valid_to as timestamp) as valid_to,
  cast(valid_from as timestamp) as recorded_at,
  is_current,
  coalesce(next_op in ('d', 't'), false) as is_deleted
from versions
