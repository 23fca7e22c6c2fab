{#- Keeps the latest row per business key: the extraction API re-sends changed rows. -#}
{% macro dedupe_latest(relation, key, order_by) -%}
select * from (
  select
    source_rows.*,
    row_number() over (partition by {{ key }} order by {{ order_by }} desc) as _row_rank
  from {{ relation }} as source_rows
) as ranked
where _row_rank = 1
{%- endmacro %}
