-- Every version of every customer (SCD2) from the operational database's change log: what a
-- customer's e-mail and country were at any moment. Deletions close the last version.
{{ config(materialized='cdc_history') }}
select * from {{ source(var('shop_cdc_source'), 'customers') }}
