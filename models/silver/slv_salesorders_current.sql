-- Each sales order in its latest status.
{{ config(materialized='cdc_current') }}
select * from {{ source(var('shop_cdc_source'), 'salesorders') }}
