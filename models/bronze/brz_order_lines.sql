-- Raw order lines as landed: the full load and every since= batch after it, with load metadata.
-- A line re-sent by a later batch appears once per batch here; silver keeps the latest.
select
  raw.*,
  'full' as _batch,
  cast(null as timestamp) as _batch_since,
  cast('{{ var('order_lines_full_load_at') }}' as timestamp) as _extracted_at,
  '{{ ref('raw_order_lines').identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref('raw_order_lines') }} as raw
{%- for batch in var('order_line_batches', []) %}
union all
select
  raw.*,
  'since={{ batch.since }}' as _batch,
  cast('{{ batch.since }}' as timestamp) as _batch_since,
  cast('{{ batch.extracted_at }}' as timestamp) as _extracted_at,
  '{{ ref(batch.seed).identifier }}' as _source,
  cast('{{ run_started_at }}' as timestamp) as _loaded_at
from {{ ref(batch.seed) }} as raw
{%- endfor %}
