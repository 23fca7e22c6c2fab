-- Freshness: the newest extraction of order lines is no more than 8 days older than the newest
-- order it delivered (an API load that stopped would leave orders waiting), and the latest batch
-- landed in fact_sales. Returns a row when either is stale.
with bronze as (
  select max(_extracted_at) as last_extracted_at, max(cast(ordered_at as timestamp)) as last_ordered_at
  from {{ ref('brz_order_lines') }}
), gold as (
  select max(_extracted_at) as last_extracted_at from {{ ref('fact_sales') }}
)
select bronze.last_extracted_at, bronze.last_ordered_at, gold.last_extracted_at as fact_last_extracted_at
from bronze cross join gold
where bronze.last_extracted_at < bronze.last_ordered_at
   or bronze.last_extracted_at > bronze.last_ordered_at + interval '8 days'
   or gold.last_extracted_at is null
   or gold.last_extracted_at < bronze.last_extracted_at
