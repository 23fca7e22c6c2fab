-- The customers as the operational database has them now: one row per customer, deletes removed.
{{ config(materialized='cdc_current') }}
select * from {{ source(var('shop_cdc_source'), 'customers') }}
