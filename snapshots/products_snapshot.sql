-- dbt-style snapshot of the typed product list: a new version whenever updated_at moves on.
{% snapshot products_snapshot %}
{{ config(
    schema='snapshots',
    unique_key='product_id',
    strategy='timestamp',
    updated_at='updated_at',
    hard_deletes='invalidate'
) }}
select * from {{ ref('slv_products') }}
{% endsnapshot %}
