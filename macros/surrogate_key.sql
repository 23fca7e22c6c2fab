{#- A stable hash of business-key columns, NULL-safe, the same on DuckDB and PostgreSQL. -#}
{% macro surrogate_key(columns) -%}
md5(concat_ws('|', {% for column in columns %}coalesce(cast({{ column }} as varchar), '<null>'){{ ", " if not loop.last }}{% endfor %}))
{%- endmacro %}
