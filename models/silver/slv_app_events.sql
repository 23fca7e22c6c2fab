-- One row per event id (duplicates from retries removed).
with ranked as (
  select
    cast(event_id as bigint) as event_id,
    lower(event_type) as event_type,
    cast(user_id as integer) as user_id,
    cast(occurred_at as timestamp) as occurred_at,
    row_number() over (partition by event_id order by occurred_at) as _row_rank
  from {{ ref('brz_app_events') }}
)
select event_id, event_type, user_id, occurred_at from ranked where _row_rank = 1
