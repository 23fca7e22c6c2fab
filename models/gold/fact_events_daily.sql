-- Application events per type and day.
select
  cast(extract(year from occurred_at) * 10000 + extract(month from occurred_at) * 100 + extract(day from occurred_at) as integer) as event_date_key,
  event_type,
  count(*) as event_count,
  count(distinct user_id) as distinct_users
from {{ ref('slv_app_events') }}
group by 1, 2
