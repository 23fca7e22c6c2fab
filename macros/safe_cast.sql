{#- Casts text to a type, or NULL when it does not parse, instead of failing the whole model. -#}
{% macro safe_cast(expression, type) -%}
{{ adapter.dispatch('safe_cast')(expression, type) }}
{%- endmacro %}

{% macro duckdb__safe_cast(expression, type) -%}
try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro default__safe_cast(expression, type) -%}
{%- if type in ['integer', 'bigint'] -%}
case when cast({{ expression }} as varchar) ~ '^\s*-?[0-9]+\s*$' then cast({{ expression }} as {{ type }}) end
{%- elif type.startswith('numeric') or type in ['double precision', 'real'] -%}
case when cast({{ expression }} as varchar) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then cast({{ expression }} as {{ type }}) end
{%- else -%}
cast({{ expression }} as {{ type }})
{%- endif -%}
{%- endmacro %}
