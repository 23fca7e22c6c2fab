import { describe, expect, it } from 'vitest';
import { TemplateContext } from './context.js';
import { TemplateEnvironment } from './environment.js';

/** Each template renders as Jinja2 renders it in dbt (the values were checked with dbt 1.10). */
function render(text: string, macros = ''): string {
  const env = new TemplateEnvironment('p');
  const errors = { attempt: (fn: () => void) => fn() } as never;
  if (macros) env.loadMacros([{ path: 'macros/m.sql', text: macros }], errors);
  new TemplateContext(env, {
    projectName: 'p', target: { name: 'dev', type: 'duckdb', schema: 'main', threads: 1 }, vars: {}, env: {},
    runStartedAt: new Date(0), invocationId: 'i', fullRefresh: false, quote: (s) => `"${s}"`,
  });
  return env.render({ path: 'models/t.sql', text });
}

describe("Jinja with Python's semantics", () => {
  it.each([
    ['{% if [] %}y{% else %}n{% endif %}{% if {} %}y{% else %}n{% endif %}', 'nn'],
    ["{{ [] or 'z' }} {{ 0 and 1 }} {{ 'x' if [] else 'y' }}", 'z 0 y'],
    ["{{ [1, 2] + [3] }} {{ '-' * 3 }} {{ '%s=%d' % ('a', 3) }} {{ 10 / 2 }} {{ 7 // 2 }} {{ -7 % 3 }}", '[1, 2, 3] --- a=3 5.0 3 2'],
    ["{{ true }} {{ none }} {{ {'a': [1, none]} }} {{ 'ab' ~ 1 ~ none }}", "True None {'a': [1, None]} ab1None"],
    ["{{ 1 == 1.0 }} {{ '1' == 1 }} {{ [1] == [1] }} {{ 'k' in {'k': 1} }}", 'True False True True'],
    ["{% set d = {'b': 2, 'a': 1} %}{% for k in d %}{{ k }}{% endfor %}", 'ba'],
  ])('%s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });
});

describe('Jinja statements nunjucks lacks', () => {
  it.each([
    ['{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}', '1:2,2:4'],
    ['{% for n in range(10) if n is divisibleby 3 %}{{ n }}{% endfor %}', '0369'],
    ['{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}', '13'],
    ['{% set ns = namespace(total=0) %}{% for x in [1, 2, 3] %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}', '6'],
    ['{%- set cols -%}\n  a,\n  b\n{%- endset -%}[{{ cols }}]', '[a,\n  b]'],
    ["{% set l = [1] %}{% do l.extend([2, 3]) %}{% do l.append(4) %}{{ l }}", '[1, 2, 3, 4]'],
    ["{{ dict(a=1,) }}", "{'a': 1}"],
  ])('%s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });
});

describe("Jinja2's filters", () => {
  it.each([
    ["{{ [{'n': 'a', 'k': 1}, {'n': 'b', 'k': 0}] | selectattr('k') | map(attribute='n') | join(',') }}", 'a'],
    ["{{ [{'n': 'a', 'k': 1}, {'n': 'b', 'k': 2}] | selectattr('k', 'gt', 1) | map(attribute='n') | first }}", 'b'],
    ["{{ ['A', 'B'] | map('lower') | list }}", "['a', 'b']"],
    ["{{ {'b': 1, 'a': 2} | list }} {{ {'b': 1, 'a': '<x>'} | tojson }}", "['b', 'a'] {\"a\": \"\\u003cx\\u003e\", \"b\": 1}"],
    ['{{ 3.7 | round }} {{ 2.5 | round }} {{ 0.125 | round(2) }} {{ 7 | float }} {{ "3.9" | int }}', '4.0 2.0 0.12 7.0 3'],
    ["{{ '' | default('e', true) }} {{ none | default('d') }} {{ nope | default('d') }} {{ 'a-b-c' | replace('-', '', 1) }}", 'e None d ab-c'],
    ["{{ [3, 1, 2] | sort(reverse=true) | join('') }} {{ ['b', 'a', 'b'] | unique | list }} {{ [1, 5] | max }} {{ '%05.1f' | format(3.14159) }}", "321 ['b', 'a'] 5 003.1"],
    ["{% for g in [{'t': 'x'}, {'t': 'y'}, {'t': 'x'}] | groupby('t') %}{{ g.grouper }}{{ g.list | length }}{% endfor %}", 'x2y1'],
  ])('%s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('returns a macro value and dispatches by adapter', () => {
    const macros = "{% macro m(x) %}{{ return(adapter.dispatch('m')(x)) }}{% endmacro %}{% macro default__m(x) %}d{{ x }}{% endmacro %}{% macro duckdb__m(x) %}{{ return([x, x]) }}{% endmacro %}";
    expect(render('{{ m(1) | length }}', macros)).toBe('2');
  });
});

describe('what smelt cannot render says so', () => {
  it.each([
    ["{% set r = run_query('select 1') %}", 'run_query() queries the database while the model compiles'],
    ["{% call statement('s', fetch_result=True) %}select 1{% endcall %}", '{% call statement() %} queries the database'],
    ["{{ adapter.get_columns_in_relation(this) }}", 'adapter.get_columns_in_relation() queries the database'],
    ["{{ dbt_utils.star(this) }}", "'dbt_utils.star' is undefined: smelt installs no packages"],
  ])('%s', (template, message) => {
    expect(() => render(`select 1\n${template}`)).toThrow(message);
    try {
      render(`select 1\n${template}`);
    } catch (error) {
      expect((error as { location: { file: string; line: number } }).location).toMatchObject({ file: 'models/t.sql', line: 2 });
    }
  });
});
