-- Raw order_lines as landed, with load metadata.
select
  raw.*,
  '{{ ref('raw_order_lines').identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref('raw_order_lines') }} as raw
