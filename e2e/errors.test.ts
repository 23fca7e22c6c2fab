import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanFailure, STACK_LINE } from './support/expect-output.js';
import { dialects, FixtureProject, type DialectName } from './support/project.js';

/*
 * Every mistake a user can make ends in a message with file, line, node and a hint, exit code 2
 * for project and compile errors and 1 for node failures, and no stack trace without --debug.
 * Compile errors need no database, so those run on DuckDB only; SQL errors run on every dialect.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function fixture(files: Record<string, string>, options: { projectYml?: string; dialect?: DialectName } = {}): FixtureProject {
  const project = new FixtureProject(options.dialect ?? 'duckdb', files, options.projectYml ? { projectYml: options.projectYml } : {});
  projects.push(project);
  return project;
}

/** "error: <message>\n  --> <where> (<node>)\n  hint: <hint>" blocks, as the CLI prints them. */
function errorBlocks(stderr: string): { message: string; where: string; hint?: string }[] {
  const blocks = stderr.split(/^error: /m).slice(1);
  return blocks.map((block) => {
    const [message = '', ...rest] = block.split('\n');
    const where = rest.find((l) => l.startsWith('  --> '))?.slice(6) ?? '';
    const hint = rest.find((l) => l.startsWith('  hint: '))?.slice(8);
    return { message, where, ...(hint ? { hint } : {}) };
  });
}

describe('project.yml problems', () => {
  it('reports a YAML syntax error at its line, exit 2', async () => {
    const project = fixture({ 'models/a.sql': 'select 1' }, { projectYml: 'name: shop\nmodels:\n  bronze: [\n    +materialized: view\n' });
    const result = await project.cli('compile');
    expectCleanFailure(result, 2);
    const [error] = errorBlocks(result.stderr);
    expect(error!.message).toMatch(/^Invalid YAML/);
    expect(error!.where).toMatch(/^project\.yml:\d+/);
    expect(error!.hint).toBeTruthy();
  });

  it('reports a value of the wrong type at its line, exit 2', async () => {
    const project = fixture({ 'models/a.sql': 'select 1' }, { projectYml: 'name: shop\nversion: "1.0"\nmodel-paths: 42\n' });
    const result = await project.cli('run');
    expectCleanFailure(result, 2);
    expect(errorBlocks(result.stderr)).toEqual([{ message: "'model-paths': expected string or array, got number", where: 'project.yml:3', hint: expect.stringMatching(/^Write /) }]);
  });

  it('warns about an unknown key, with its line, and goes on', async () => {
    const project = fixture({ 'models/a.sql': 'select 1' }, { projectYml: 'name: shop\nversion: "1.0"\nmodle-paths: [models]\n' });
    const result = await project.cli('compile');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: Unknown key 'modle-paths' is ignored\n\s+--> project\.yml:3\n\s+hint: Did you mean 'model-paths'\?/);
  });

  it('rejects a project name that is not an identifier', async () => {
    const result = await fixture({}, { projectYml: 'name: my-shop\n' }).cli('ls');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("'name'");
    expect(result.stderr).toContain('project.yml:1');
  });

  it('names a missing env_var() of the target', async () => {
    const project = fixture({ 'models/a.sql': 'select 1' });
    project.write({
      'project.yml': "name: shop\ntarget: pg\ntargets:\n  pg:\n    type: postgres\n    password: \"{{ env_var('SMELT_TEST_SURELY_UNSET') }}\"\n",
    });
    const result = await project.cli('compile');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("Environment variable 'SMELT_TEST_SURELY_UNSET' used by target 'pg' is not set");
    expect(result.stderr).toContain('hint: Export SMELT_TEST_SURELY_UNSET');
  });

  it('names an unknown --target and lists the defined ones', async () => {
    const result = await fixture({ 'models/a.sql': 'select 1' }).cli('run', '--target', 'prod');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("Target 'prod' is not defined");
    expect(result.stderr).toContain('hint: Defined targets: dev.');
  });

  it('says where to start when there is no project', async () => {
    const project = fixture({});
    project.remove('project.yml');
    const result = await project.cli('ls');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain('No project.yml found');
    expect(result.stderr).toContain('smelt init');
  });
});

describe('YAML property files', () => {
  it('reports a syntax error at its line', async () => {
    const result = await fixture({
      'models/a.sql': 'select 1',
      'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n     oops: 1\n',
    }).cli('compile');
    expectCleanFailure(result, 2);
    expect(errorBlocks(result.stderr)[0]!.where).toMatch(/^models\/schema\.yml:6/);
  });

  it('fails on wrong types with file:line and warns about unknown keys', async () => {
    const wrong = await fixture({
      'models/a.sql': 'select 1',
      'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: not-a-list\n',
    }).cli('compile');
    expectCleanFailure(wrong, 2);
    expect(errorBlocks(wrong.stderr)).toEqual([{ message: "'models.0.columns.0.tests': expected array, got string", where: 'models/schema.yml:6', hint: expect.stringMatching(/^Write a list/) }]);

    const unknown = await fixture({
      'models/a.sql': 'select 1',
      'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    descripton: typo\n',
    }).cli('compile');
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(unknown.stderr).toMatch(/warning: Unknown key 'models\.0\.descripton' is ignored\n\s+--> models\/schema\.yml:4\n\s+hint: Did you mean 'description'\?/);
  });
});

describe('compile errors', () => {
  const BROKEN = {
    'models/orders.sql': 'select 1 as id\n',
    'models/unknown_ref.sql': "select *\nfrom {{ ref('ordrs') }}\n",
    'models/unknown_source.sql': "select * from {{ source('raw', 'payments') }}\n",
    'models/undefined_macro.sql': 'select 1\n\n  , {{ cents(amount) }}\n',
    'models/undefined_var.sql': "select {{ var('start_date') }}\n",
    'models/syntax.sql': 'select 1\n{% if %}\n',
    'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
  };

  it('reports every broken file in one run, each at its file and line, with a hint, exit 2', async () => {
    const result = await fixture(BROKEN).cli('compile');
    expectCleanFailure(result, 2);
    const errors = errorBlocks(result.stderr);
    const byFile = Object.fromEntries(errors.map((e) => [e.where.split(':')[0], e]));
    expect(Object.keys(byFile).sort()).toEqual([
      'models/syntax.sql',
      'models/undefined_macro.sql',
      'models/undefined_var.sql',
      'models/unknown_ref.sql',
      'models/unknown_source.sql',
    ]);
    expect(errors).toHaveLength(5);
    expect(result.stderr).toContain('5 errors found.');

    expect(byFile['models/unknown_ref.sql']).toMatchObject({
      message: "ref('ordrs'): no model or seed named 'ordrs'",
      hint: "Did you mean 'orders'?",
    });
    expect(byFile['models/unknown_ref.sql']!.where).toMatch(/^models\/unknown_ref\.sql:2:\d+ \(model\.fixture\.unknown_ref\)$/);
    expect(byFile['models/unknown_source.sql']!.message).toBe("source('raw', 'payments'): no such source table");
    expect(byFile['models/unknown_source.sql']!.hint).toContain('raw.orders');
    expect(byFile['models/undefined_macro.sql']!.message).toContain("'cents' is undefined");
    expect(byFile['models/undefined_macro.sql']!.where).toMatch(/^models\/undefined_macro\.sql:3:\d+ \(model\.fixture\.undefined_macro\)$/);
    expect(byFile['models/undefined_var.sql']!.message).toBe("Required var 'start_date' is not set");
    expect(byFile['models/undefined_var.sql']!.where).toMatch(/^models\/undefined_var\.sql:1/);
    expect(byFile['models/syntax.sql']!.message).toMatch(/^Template syntax error/);
    expect(byFile['models/syntax.sql']!.where).toMatch(/^models\/syntax\.sql:2:\d+ \(model\.fixture\.syntax\)$/);
    for (const error of errors) expect(error.hint, error.message).toBeTruthy();
  });

  it('fails `run` the same way, before touching the database', async () => {
    const project = fixture(BROKEN);
    const result = await project.cli('run');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain('5 errors found.');
    expect(result.stdout).not.toContain('Running');
  });

  it('reports a model that fails to compile once, not again for each test of it', async () => {
    const result = await fixture({
      'models/orders.sql': 'select 1 as id\n',
      'models/fact.sql': "select id from {{ ref('orders' }}\n",
      'models/schema.yml': `version: 2
models:
  - name: fact
    columns:
      - name: id
        data_tests: [not_null]
unit_tests:
  - name: fact_keeps_ids
    model: fact
    given:
      - input: ref('orders')
        rows: [{id: 1}]
    expect:
      rows: [{id: 1}]
`,
      'tests/assert_fact_has_rows.sql': "select 1 from {{ ref('fact') }} having count(*) = 0\n",
    }).cli('compile');
    expectCleanFailure(result, 2);
    const errors = errorBlocks(result.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.where).toMatch(/^models\/fact\.sql:1:\d+ \(model\.fixture\.fact\)$/);
    expect(result.stderr).not.toMatch(/no model|does not exist|errors found/);
  });

  it('reports an unknown materialization once, and a model that refs that model compiles', async () => {
    const result = await fixture({
      'models/aa.sql': "{{ config(materialized='tabel') }}\nselect 1 as id\n",
      'models/bb.sql': "select * from {{ ref('aa') }}\n",
    }).cli('compile');
    expectCleanFailure(result, 2);
    const errors = errorBlocks(result.stderr);
    expect(errors.map((e) => e.message)).toEqual(["Unknown materialization 'tabel'"]);
    expect(errors[0]!.where).toBe('models/aa.sql (model.fixture.aa)');
  });

  it('refuses config values of the wrong type, each at its node', async () => {
    const result = await fixture({
      'models/a.sql': "{{ config(enabled='false') }}\nselect 1 as id\n",
      'models/b.sql': "{{ config(schema=['raw']) }}\nselect 1 as id\n",
      'models/c.sql': '{{ config(tags=5) }}\nselect 1 as id\n',
    }).cli('compile');
    expectCleanFailure(result, 2);
    expect(errorBlocks(result.stderr).map((e) => e.message).sort()).toEqual([
      'enabled of a must be true or false, not "false"',
      'schema of b must be a name, not ["raw"]',
      'tags of c must be a name or a list of names, not [5]',
    ]);
  });

  it('renders Jinja in project.yml folder config and reads the result as a value', async () => {
    const projectYml = `name: fixture
models:
  fixture:
    +enabled: "{{ var('on', true) }}"
    +tags: ["{{ target.name }}_tag"]
`;
    const project = fixture({
      'models/a.sql': 'select 1 as id\n',
      'models/b.sql': 'select 2 as id\n',
      'models/schema.yml': `version: 2\nmodels:\n  - name: b\n    config:\n      enabled: "{{ var('on_b', true) }}"\n      schema: "{{ var('team', '007') }}"\n`,
    }, { projectYml });
    const on = await project.cli('ls', '-s', 'tag:dev_tag');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain('fixture.a');
    const off = await project.cli('ls', '--vars', '{on: false, on_b: false}');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).not.toContain('fixture.a');
    expect(off.stdout).not.toContain('fixture.b');
    // A name keeps its text, even one that reads as a number or a flag.
    const listed = await project.cli('ls', '-s', 'b', '--output', 'json');
    expect(JSON.parse(listed.stdout.trim()).config.schema).toBe('007');
    const flag = await project.cli('ls', '-s', 'b', '--output', 'json', '--vars', '{team: "true"}');
    expect(JSON.parse(flag.stdout.trim()).config.schema).toBe('true');
  });

  it('warns about folder config that applies to no folder, with a suggestion', async () => {
    const projectYml = `name: fixture
models:
  fixture:
    gld:
      +materialized: table
`;
    const result = await fixture({ 'models/gold/a.sql': 'select 1 as id\n' }, { projectYml }).cli('compile');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: models: gld in project\.yml applies to no folder under models\n\s+--> project\.yml:\d+\n\s+hint: Did you mean 'gold'\?/);
  });

  it('applies folder config keyed by a model\'s own name, as dbt does', async () => {
    const projectYml = `name: fixture
models:
  fixture:
    gold:
      +materialized: view
      a:
        +materialized: table
`;
    const project = fixture({ 'models/gold/a.sql': 'select 1 as id\n', 'models/gold/b.sql': 'select 2 as id\n' }, { projectYml });
    const listed = await project.cli('ls', '--output', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).not.toContain('applies to no folder');
    const byName = Object.fromEntries(listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; config: { materialized: string } }).map((n) => [n.name, n.config.materialized]));
    expect(byName).toEqual({ a: 'table', b: 'view' });
  });

  it("renders dbt's doc() in descriptions from docs blocks, and names a doc() that has none", async () => {
    const files = {
      'models/a.sql': 'select 1 as id\n',
      'models/docs.md': '{% docs a_doc %}\nThe **a** model.\n{% enddocs %}\n\n{% docs id_doc %}Key{% enddocs %}\n',
      'models/schema.yml': `version: 2\nmodels:\n  - name: a\n    description: "{{ doc('a_doc') }}"\n    columns:\n      - name: id\n        description: "{{ doc('id_doc') }} of a"\n`,
    };
    const project = fixture(files);
    expect((await project.cli('compile')).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(project.dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, { description: string; columns: Record<string, { description: string }> }> };
    expect(manifest.nodes['model.fixture.a']!.description).toBe('The **a** model.');
    expect(manifest.nodes['model.fixture.a']!.columns.id!.description).toBe('Key of a');
    const typo = fixture({ ...files, 'models/schema.yml': `version: 2\nmodels:\n  - name: a\n    description: "{{ doc('a_dc') }}"\n` });
    const result = await typo.cli('compile');
    expectCleanFailure(result, 2);
    expect(errorBlocks(result.stderr)).toEqual([{ message: "In a description of model.fixture.a: doc('a_dc') names no docs block", where: 'models/schema.yml (model.fixture.a)', hint: "Did you mean 'a_doc'?" }]);
  });

  it('prints the stack trace only with --debug', async () => {
    const result = await fixture(BROKEN).cli('compile', '--debug');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(STACK_LINE);
  });

  it('prints a cycle as the whole chain', async () => {
    const result = await fixture({
      'models/a.sql': "select * from {{ ref('c') }}\n",
      'models/b.sql': "select * from {{ ref('a') }}\n",
      'models/c.sql': "select 1\nfrom {{ ref('b') }}\n",
    }).cli('run');
    expectCleanFailure(result, 2);
    const [error] = errorBlocks(result.stderr);
    expect(error!.message).toBe('Dependency cycle: a > c > b > a');
    expect(error!.where).toBe('models/a.sql:1 (model.fixture.a)');
    expect(error!.hint).toContain("ref('c')");
  });

  it('rejects two models with the same name in different folders', async () => {
    const result = await fixture({ 'models/bronze/orders.sql': 'select 1\n', 'models/gold/orders.sql': 'select 2\n' }).cli('compile');
    expectCleanFailure(result, 2);
    const [error] = errorBlocks(result.stderr);
    expect(error!.message).toBe("Two models are named 'orders': models/bronze/orders.sql and models/gold/orders.sql");
    expect(error!.where).toContain('models/gold/orders.sql');
    expect(error!.hint).toBeTruthy();
  });

  it('reports a macro file with a syntax error at its own line', async () => {
    const result = await fixture({
      'macros/broken.sql': '{% macro ok() %}1{% endmacro %}\n\n{% macro broken( %}\n{% endmacro %}\n',
      'models/a.sql': 'select 1\n',
    }).cli('compile');
    expectCleanFailure(result, 2);
    expect(errorBlocks(result.stderr)[0]!.where).toMatch(/^macros\/broken\.sql:3/);
  });

  it('rejects a bad selector as a usage error', async () => {
    const result = await fixture({ 'models/a.sql': 'select 1\n' }).cli('ls', '-s', 'a+b');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain("Invalid selector 'a+b'");
  });
});

describe.each(await dialects())('SQL errors from %s', (dialect) => {
  it('names the node, the compiled file and line, gives a hint, exit 1', async () => {
    const project = fixture({
      'models/ok.sql': 'select 1 as id\n',
      'models/bad_table.sql': "{{ config(materialized='table') }}\nselect\n  1 as id,\n  no_such_column\nfrom {{ ref('ok') }}\n",
      'models/bad_view.sql': 'select 1 as id\nfrom no_such_relation\n',
    }, { dialect });
    const result = await project.cli('run');
    expectCleanFailure(result, 1);
    expect(result.stdout).toMatch(/Error in model bad_table \(target\/compiled\/fixture\/models\/bad_table\.sql:4(:\d+)?\)\n\s+.*no_such_column.*\n\s+hint: .*models\/bad_table\.sql/);
    expect(result.stdout).toMatch(/Error in model bad_view \(target\/compiled\/fixture\/models\/bad_view\.sql:2(:\d+)?\)\n\s+.*no_such_relation.*\n\s+hint: /);
    expect(result.stdout).toContain('1 ok, 2 errors');
  });
});
