{#- One row per day from start to end, inclusive. -#}
{% macro date_spine(start_date, end_date) -%}
select cast(day as date) as date_day
from generate_series(
  cast('{{ start_date }}' as timestamp),
  cast('{{ end_date }}' as timestamp),
  interval '1 day'
) as spine(day)
{%- endmacro %}
