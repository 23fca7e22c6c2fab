-- Raw app_events as landed, with load metadata.
select
  raw.*,
  '{{ ref('raw_app_events').identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref('raw_app_events') }} as raw
