-- Raw service_costs as landed, with load metadata.
select
  raw.*,
  '{{ ref('raw_service_costs').identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref('raw_service_costs') }} as raw
