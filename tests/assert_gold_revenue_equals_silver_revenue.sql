-- Reconciliation: the fact's revenue equals silver's, in total and per order status. Returns the
-- statuses (or 'TOTAL') where they differ.
with silver as (
  select coalesce(status, '?') as status, sum(amount) as revenue, count(*) as lines
  from {{ ref('slv_order_lines') }} group by 1
  union all
  select 'TOTAL', sum(amount), count(*) from {{ ref('slv_order_lines') }}
), gold as (
  select coalesce(status, '?') as status, sum(amount) as revenue, count(*) as lines
  from {{ ref('fact_sales') }} group by 1
  union all
  select 'TOTAL', sum(amount), count(*) from {{ ref('fact_sales') }}
)
select coalesce(s.status, g.status) as status, s.revenue as silver_revenue, g.revenue as gold_revenue,
       s.lines as silver_lines, g.lines as gold_lines
from silver as s
full outer join gold as g on g.status = s.status
where s.revenue is null or g.revenue is null or s.revenue <> g.revenue or s.lines <> g.lines
