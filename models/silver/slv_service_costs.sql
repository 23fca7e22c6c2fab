select
  lower(trim(service_name)) as service_name,
  cast(cost as numeric(14, 4)) as cost,
  cast(cost_date as date) as cost_date
from {{ ref('brz_service_costs') }}
where cost is not null
