-- Totals per cloud service over the whole period, with its share of all spend.
with per_service as (
  select
    service_name,
    count(*) as days_billed,
    sum(daily_cost) as total_cost,
    avg(daily_cost) as avg_daily_cost,
    max(daily_cost) as max_daily_cost
  from {{ ref('kpi_service_costs_daily') }}
  group by service_name
)
select
  service_name,
  days_billed,
  cast(total_cost as numeric(14, 2)) as total_cost,
  cast(avg_daily_cost as numeric(14, 4)) as avg_daily_cost,
  cast(max_daily_cost as numeric(14, 4)) as max_daily_cost,
  cast(100.0 * total_cost / sum(total_cost) over () as numeric(6, 2)) as pct_of_total
from per_service
