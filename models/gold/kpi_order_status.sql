-- Orders and revenue per current status, from the live order table's change log.
select
  status,
  count(*) as orders,
  sum(total) as revenue
from {{ ref('slv_salesorders_current') }}
group by status
