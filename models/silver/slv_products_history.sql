-- Every version of every product (SCD2): what a product cost on any day.
{{ config(materialized='cdc_history') }}
select * from {{ source(var('shop_cdc_source'), 'products') }}
