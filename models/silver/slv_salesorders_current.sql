-- Each sales order in its latest status.
{{ config(materialized='cdc_current') }}
select * from {{ source('shop_cdc', 'salesorders') }}
