// A generated project for the docs benchmark: N models in bronze/silver/gold over 20 domains
// (folders models/<layer>/<domain>/), 50 documented source tables, YAML descriptions for every
// model and some columns, and SQL that exercises column lineage: casts, expressions, joins,
// CTEs with select *, aggregates. Seeded: the same N gives the same project.
import { writeFiles } from '../lib/util.mjs';

const DOMAINS = 20;
const SOURCES = 50;
const SOURCE_COLUMNS = ['id', 'customer_id', 'amount', 'status', 'created_at', 'updated_at', 'category', 'region'];

export function generateDocsProject(dir, { models, name = 'bench_docs', targets = '', seed = 7 }) {
  let state = seed >>> 0;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const id = (i) => `m${String(i).padStart(5, '0')}`;
  const files = {
    'project.yml': `name: ${name}\nvars:\n  factor: 2\nmodels:\n  bronze:\n    +materialized: view\n    +tags: [bronze]\n  silver:\n    +materialized: table\n    +tags: [silver]\n  gold:\n    +materialized: table\n    +tags: [gold]\n${targets}`,
    'models/sources.yml': `version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n${Array.from({ length: SOURCES }, (_, k) => `      - name: t${k}\n        description: Raw extract number ${k} from the shop database.\n        columns:\n${SOURCE_COLUMNS.map((c) => `          - name: ${c}\n            description: The ${c.replace('_', ' ')} as extracted.\n`).join('')}`).join('')}`,
  };
  const bronzeEnd = Math.floor(models * 0.3);
  const silverEnd = Math.floor(models * 0.65);
  const byLayerDomain = new Map();
  const yaml = new Map();
  for (let i = 0; i < models; i++) {
    const layer = i < bronzeEnd ? 'bronze' : i < silverEnd ? 'silver' : 'gold';
    const domain = `d${String(i % DOMAINS).padStart(2, '0')}`;
    const key = `${layer}/${domain}`;
    let sql;
    if (layer === 'bronze') {
      sql = `select\n  id,\n  customer_id,\n  cast(amount as decimal(12, 2)) as amount,\n  lower(status) as status,\n  created_at,\n  updated_at,\n  category,\n  region,\n  'raw' as _source\nfrom {{ source('raw', 't${i % SOURCES}') }}\n`;
    } else if (layer === 'silver') {
      // Read one or two earlier bronze/silver models of the same domain.
      const candidates = [...(byLayerDomain.get(`bronze/${domain}`) ?? []), ...(byLayerDomain.get(`silver/${domain}`) ?? []).slice(-50)];
      const a = pick(candidates);
      const b = pick(candidates);
      sql = a === b
        ? `select\n  id,\n  customer_id,\n  amount * {{ var('factor') }} as amount,\n  status,\n  created_at,\n  updated_at,\n  category,\n  region\nfrom {{ ref('${id(a)}') }}\nwhere status <> 'deleted'\n`
        : `select\n  a.id,\n  a.customer_id,\n  a.amount + coalesce(b.amount, 0) as amount,\n  coalesce(a.status, b.status) as status,\n  a.created_at,\n  greatest(a.updated_at, b.updated_at) as updated_at,\n  a.category,\n  b.region\nfrom {{ ref('${id(a)}') }} as a\nleft join {{ ref('${id(b)}') }} as b on b.id = a.id\n`;
    } else {
      const silver = byLayerDomain.get(`silver/${domain}`);
      const a = pick(silver);
      const b = pick(silver);
      sql = `with base as (\n  select * from {{ ref('${id(a)}') }}\n), extra as (\n  select id, region from {{ ref('${id(b)}') }}\n)\nselect\n  base.customer_id,\n  base.category,\n  extra.region,\n  count(*) as orders,\n  sum(base.amount) as total_amount,\n  max(base.updated_at) as last_update\nfrom base\njoin extra on extra.id = base.id\ngroup by 1, 2, 3\n`;
    }
    if (!byLayerDomain.has(key)) byLayerDomain.set(key, []);
    byLayerDomain.get(key).push(i);
    files[`models/${key}/${id(i)}.sql`] = sql;
    if (!yaml.has(key)) yaml.set(key, []);
    yaml.get(key).push(`  - name: ${id(i)}\n    description: ${layer} model ${i} of domain ${domain}; reads ${layer === 'bronze' ? 'a raw extract' : 'upstream models'}.\n    columns:\n      - name: ${layer === 'gold' ? 'total_amount' : 'amount'}\n        description: Amount in euros, ${layer === 'gold' ? 'summed per customer' : 'as ordered'}.\n      - name: customer_id\n        description: The customer who ordered.\n`);
  }
  for (const [key, entries] of yaml) files[`models/${key}/schema.yml`] = `version: 2\nmodels:\n${entries.join('')}`;
  writeFiles(dir, files);
}
