import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { EXIT_OK, guard, type CliState, type CommonFlags } from './common.js';

/** The files of a new project: small, but every stage (macro, ref, var, two folders, YAML) is used. */
export function scaffoldFiles(name: string): Record<string, string> {
  return {
    'project.yml': `name: ${name}
version: "1.0"

vars:
  min_amount: 0

models:
  staging:
    +materialized: view
  marts:
    +materialized: table
    +schema: marts

target: dev
targets:
  dev:
    type: duckdb
    path: target/${name}.duckdb
  postgres:
    type: postgres
    host: "{{ env_var('PGHOST', '127.0.0.1') }}"
    port: "{{ env_var('PGPORT', '5432') }}"
    user: "{{ env_var('PGUSER', 'postgres') }}"
    password: "{{ env_var('PGPASSWORD', '') }}"
    database: "{{ env_var('PGDATABASE', 'postgres') }}"
    schema: ${name}
`,
    'models/staging/stg_orders.sql': `-- Raw orders, typed. In a real project this reads a source or a seed.
select *
from (values
  (1, 'alice', 120.50, 'shipped'),
  (2, 'bob', 35.00, 'pending'),
  (3, 'alice', 12.25, 'shipped')
) as orders(order_id, customer, amount, status)
`,
    'models/staging/schema.yml': `version: 2
models:
  - name: stg_orders
    description: One row per order.
    columns:
      - name: order_id
        description: Primary key.
      - name: amount
        description: Order total.
`,
    'models/marts/customer_revenue.sql': `select
  customer,
  count(*) as orders,
  {{ cents('sum(amount)') }} as revenue_cents
from {{ ref('stg_orders') }}
where amount > {{ var('min_amount') }}
group by customer
`,
    'macros/cents.sql': `{% macro cents(expression) -%}
cast(round(({{ expression }}) * 100) as bigint)
{%- endmacro %}
`,
    'seeds/.gitkeep': '',
    'tests/.gitkeep': '',
    'snapshots/.gitkeep': '',
    '.gitignore': 'target/\n',
  };
}

export function registerInit(program: Command, state: CliState): void {
  program
    .command('init <name>')
    .description('create a new project folder that builds out of the box')
    .addHelpText('after', '\nExample:\n  smelt init shop && cd shop && smelt run')
    .action(async (name: string, flags: CommonFlags) => {
      await guard(state, flags, (output) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`'${name}' is not a valid project name`, {}, 'Use letters, digits and underscores, starting with a letter.');
        const root = resolve(state.io.cwd, name);
        if (existsSync(root)) throw new UsageError(`${root} already exists`, {}, 'Pick another name or remove the folder.');
        for (const [path, text] of Object.entries(scaffoldFiles(name))) {
          mkdirSync(join(root, path, '..'), { recursive: true });
          writeFileSync(join(root, path), text);
        }
        output.info(`Created ${name}/. Next: cd ${name} && smelt run`);
        return EXIT_OK;
      });
    });
}
