-- Daily cost per cloud service.
select
  cost_date,
  cast(extract(year from cost_date) * 10000 + extract(month from cost_date) * 100 + extract(day from cost_date) as integer) as cost_date_key,
  service_name,
  cast(sum(cost) as numeric(14, 4)) as daily_cost
from {{ ref('slv_service_costs') }}
group by cost_date, service_name
