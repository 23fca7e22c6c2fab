{#- Lets a role read every gold table: smelt run-operation grant_select --args '{role: analyst}' -#}
{% macro grant_select(role, schema=none) -%}
{%- set target_schema = schema or target.schema ~ '_gold' -%}
{%- if target.type == 'postgres' -%}
{% do run_query('grant usage on schema ' ~ adapter.quote(target_schema) ~ ' to ' ~ adapter.quote(role)) %}
{% do run_query('grant select on all tables in schema ' ~ adapter.quote(target_schema) ~ ' to ' ~ adapter.quote(role)) %}
{%- else -%}
{{ log('DuckDB has no roles: nothing to grant to ' ~ role) }}
{%- endif -%}
{%- endmacro %}
