// A generated project of N models in three layers: bronze models select constants, silver and
// gold models ref one or two models of the layer below, call a macro and read a var. Seeded
// (deterministic): the same N gives the same project.
import { writeFiles } from './util.mjs';

export function generateProject(dir, { models, name = 'bench', targets = '', seed = 42 }) {
  let state = seed >>> 0;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const id = (i) => `m${String(i).padStart(5, '0')}`;
  const files = {
    'project.yml': `name: ${name}\nvars:\n  factor: 2\nmodels:\n  bronze:\n    +materialized: view\n  silver:\n    +materialized: view\n  gold:\n    +materialized: view\n${targets}`,
    'macros/double.sql': '{% macro double(x) %}({{ x }} * {{ var("factor") }}){% endmacro %}\n',
  };
  const third = Math.ceil(models / 3);
  for (let i = 0; i < models; i++) {
    const layer = i < third ? 'bronze' : i < 2 * third ? 'silver' : 'gold';
    let sql;
    if (layer === 'bronze') {
      sql = `select ${i} as id, ${i % 97} as v\n`;
    } else {
      const lowerStart = layer === 'silver' ? 0 : third;
      const a = lowerStart + Math.floor(random() * third);
      const b = lowerStart + Math.floor(random() * third);
      sql = a === b || random() < 0.5
        ? `select id, {{ double('v') }} as v from {{ ref('${id(a)}') }}\n`
        : `select x.id, {{ double('x.v') }} + y.v as v\nfrom {{ ref('${id(a)}') }} as x\njoin {{ ref('${id(b)}') }} as y on y.id = x.id\n`;
    }
    files[`models/${layer}/${id(i)}.sql`] = sql;
  }
  writeFiles(dir, files);
}
