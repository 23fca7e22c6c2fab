-- Raw customers as landed, with load metadata.
select
  raw.*,
  '{{ ref('raw_customers').identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref('raw_customers') }} as raw
