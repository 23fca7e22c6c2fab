-- A generated calendar: one row per day of the configured range.
with spine as (
  {{ date_spine(var('date_spine_start'), var('date_spine_end')) }}
)
select
  cast(extract(year from date_day) * 10000 + extract(month from date_day) * 100 + extract(day from date_day) as integer) as date_key,
  date_day,
  cast(extract(year from date_day) as integer) as year,
  cast(extract(quarter from date_day) as integer) as quarter,
  cast(extract(month from date_day) as integer) as month,
  cast(extract(day from date_day) as integer) as day_of_month,
  cast(extract(isodow from date_day) as integer) as iso_day_of_week,
  extract(isodow from date_day) in (6, 7) as is_weekend
from spine
