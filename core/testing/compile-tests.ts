import { basename } from 'node:path';
import { ConfigError, type ErrorCollector } from '../errors.js';
import { folderConfigFor, mergeConfig } from '../project/folder-config.js';
import type { Project } from '../project/load-project.js';
import type { CompiledNode, RelationName, SourceNode } from '../manifest/types.js';
import type { RunContext, TemplateContext } from '../template/context.js';
import type { TemplateEnvironment } from '../template/environment.js';
import type { TemplateRelation } from '../template/relation.js';
import { sha256 } from '../util/hash.js';
import { isContractEnforced } from './contract.js';
import { collectTargetTests, type TestTarget } from './generic-tests.js';
import { AUDIT_SCHEMA, normaliseTestConfig } from './test-config.js';
import { relationOf, TestRender, type TestScope } from './test-hooks.js';
import { TemplateValues } from './template-values.js';
import { compileUnitTests } from './unit-tests.js';

export interface TestCompileInput {
  project: Project;
  /** The compiled models, seeds and snapshots (tests are added beside them). */
  nodes: Record<string, CompiledNode>;
  /** Names of the models, seeds and snapshots that failed to compile: a test of one adds no error of its own. */
  broken?: ReadonlySet<string>;
  sources: Record<string, SourceNode>;
  /** Rendered SQL by node id: the caller inlines ephemeral models into it, as for models. */
  rendered: Map<string, string>;
  context: TemplateContext;
  environment: TemplateEnvironment;
  run: RunContext;
  errors: ErrorCollector;
}

/**
 * The test stage of compile: generic tests from YAML properties (models, seeds, snapshots,
 * sources; model- and column-level), singular tests from the test paths, and unit tests.
 * Returns test nodes keyed by unique id; every problem is collected with its file and line.
 */
export function compileTests(input: TestCompileInput): Record<string, CompiledNode> {
  const compiler = new TestCompiler(input);
  const tests: Record<string, CompiledNode> = {};
  const add = (node: CompiledNode, line: number | undefined) => {
    const existing = tests[node.uniqueId];
    if (existing) {
      input.errors.add(new ConfigError(`Test '${node.name}' is declared twice (also at ${existing.path}:${existing.startLine})`, { file: node.path, line, node: node.uniqueId }, 'Remove one, or give one a different name: (name: my_test).'));
      return;
    }
    tests[node.uniqueId] = node;
  };
  for (const target of compiler.targets()) {
    for (const node of collectTargetTests(compiler, target.target, target.properties, compiler.foldersOf(target.target.yaml.path), input.errors)) add(node, node.startLine);
  }
  for (const node of compiler.singularTests()) add(node, 1);
  for (const node of compileUnitTests(compiler)) add(node, node.startLine);
  for (const node of Object.values(input.nodes)) {
    if (isContractEnforced(node)) input.errors.attempt(() => compiler.checkContract(node));
  }
  return tests;
}

/** Shared by the generic, singular and unit test compilers. */
export class TestCompiler {
  readonly values: TemplateValues;
  readonly scope: TestScope;

  constructor(readonly input: TestCompileInput) {
    this.values = new TemplateValues(input.environment, input.context);
    this.scope = { nodes: input.nodes, sources: input.sources, quote: input.run.quote, ...(input.broken ? { broken: input.broken } : {}) };
  }

  get project(): Project {
    return this.input.project;
  }

  get environment(): TemplateEnvironment {
    return this.input.environment;
  }

  get rendered(): Map<string, string> {
    return this.input.rendered;
  }

  get errors(): ErrorCollector {
    return this.input.errors;
  }

  quote = (identifier: string): string => this.input.run.quote(identifier);

  literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

  /** project.yml `data_tests:` and `tests:` folder config for a test in `folders`. */
  folderConfig(folders: string[]): Record<string, unknown> {
    const { config, name } = this.project;
    return mergeConfig(folderConfigFor(config.tests, name, folders), folderConfigFor(config.data_tests, name, folders));
  }

  /** Folder parts of a file below whichever resource path holds it. */
  foldersOf(path: string): string[] {
    const c = this.project.config;
    const roots = [...c['model-paths'], ...c['seed-paths'], ...c['snapshot-paths'], ...c['test-paths'], ...c['macro-paths']].map((r) => r.replace(/\/$/, ''));
    const root = roots.find((r) => path.startsWith(`${r}/`));
    return (root ? path.slice(root.length + 1) : path).split('/').slice(0, -1);
  }

  templateRelation(node: CompiledNode | SourceNode): TemplateRelation {
    return relationOf(this.scope, node);
  }

  relationText(node: CompiledNode | SourceNode): string {
    return this.templateRelation(node).render();
  }

  /** Where stored failures go: `<target schema>_dbt_test__audit.<test name>`, as in dbt. */
  auditRelation(config: Record<string, unknown>, name: string): RelationName {
    const custom = typeof config.schema === 'string' ? config.schema : AUDIT_SCHEMA;
    const macro = this.environment.globals.generate_schema_name as ((...args: unknown[]) => unknown) | undefined;
    const schema = this.environment.macros.has('generate_schema_name') && macro
      ? String(macro(custom, { name, resource_type: 'test', config })).trim()
      : `${this.input.run.target.schema}_${custom}`;
    return {
      ...(typeof config.database === 'string' ? { database: config.database } : {}),
      schema,
      identifier: typeof config.alias === 'string' ? config.alias : name,
    };
  }

  /** Every model, seed, snapshot and source table described in YAML, with its properties. */
  *targets(): Generator<{ target: TestTarget; properties: Parameters<typeof collectTargetTests>[2] }> {
    const { nodes, sources } = this.input;
    const byName = new Map(Object.values(nodes).filter((n) => n.resourceType !== 'test').map((n) => [`${n.resourceType}:${n.name}`, n]));
    for (const { yaml, value } of this.project.properties) {
      for (const key of ['models', 'seeds', 'snapshots'] as const) {
        const type = key.slice(0, -1);
        for (const [index, props] of (value[key] ?? []).entries()) {
          const node = byName.get(`${type}:${props.name}`);
          // Missing or disabled nodes: compile already warned about the first; tests of the second are off too.
          if (!node) continue;
          yield { target: { node, targetName: node.name, prefix: '', yaml, path: [key, index] }, properties: props };
        }
      }
      for (const [sourceIndex, source] of (value.sources ?? []).entries()) {
        for (const [tableIndex, table] of source.tables.entries()) {
          const node = sources[`source.${this.project.name}.${source.name}.${table.name}`];
          if (!node) continue;
          yield { target: { node, targetName: `${source.name}_${table.name}`, prefix: 'source_', yaml, path: ['sources', sourceIndex, 'tables', tableIndex] }, properties: table };
        }
      }
    }
  }

  /** An enforced contract needs every column declared with its data_type (checked when the model is built). */
  checkContract(node: CompiledNode): void {
    const found = this.project.properties.flatMap(({ yaml, value }) => (value.models ?? []).map((props, index) => ({ yaml, props, index }))).find((p) => p.props.name === node.name);
    const hint = 'models:\n  - name: x\n    config: {contract: {enforced: true}}\n    columns:\n      - name: id\n        data_type: integer';
    if (node.config.materialized === 'ephemeral') {
      throw new ConfigError(`${node.name} is ephemeral, so it has no relation whose contract could be enforced`, { file: found?.yaml.path ?? node.path, line: found?.yaml.lineOf(['models', found.index, 'name']), node: node.uniqueId }, 'Materialize it as a view or table, or drop the contract.');
    }
    if (!found || !found.props.columns?.length) {
      throw new ConfigError(`${node.name} enforces a contract but declares no columns`, { file: found?.yaml.path ?? node.path, line: found?.yaml.lineOf(['models', found.index, 'name']), node: node.uniqueId }, hint);
    }
    found.props.columns.forEach((column, index) => {
      if (!column.data_type) {
        throw new ConfigError(`Column '${column.name}' of ${node.name} needs a data_type: the model enforces a contract`, { file: found.yaml.path, line: found.yaml.lineOf(['models', found.index, 'columns', index, 'name']), node: node.uniqueId }, 'Example: data_type: integer');
      }
    });
  }

  /** Any .sql file under the test paths (but not tests/fixtures/, which holds unit test fixtures). */
  *singularTests(): Generator<CompiledNode> {
    const fixtures = this.project.config['test-paths'].map((p) => `${p.replace(/\/$/, '')}/fixtures/`);
    for (const file of this.project.tests) {
      if (fixtures.some((f) => file.path.startsWith(f))) continue;
      const node = this.errors.attempt(() => this.singularTest(file));
      if (node) yield node;
    }
  }

  private singularTest(file: { path: string; text: string }): CompiledNode | undefined {
    const name = basename(file.path, '.sql');
    const uniqueId = `test.${this.project.name}.${name}`;
    const folders = this.foldersOf(file.path);
    const render = new TestRender(this.scope, name, uniqueId, file.path, this.folderConfig(folders));
    const sql = this.input.context.renderNode(file, render.hooks(), uniqueId);
    const config = normaliseTestConfig(render.config, { file: file.path, line: 1, node: uniqueId });
    if (config.enabled === false) return undefined;
    this.rendered.set(uniqueId, sql);
    const tags = (config.tags as string[] | undefined) ?? [];
    return {
      uniqueId,
      resourceType: 'test',
      name,
      packageName: this.project.name,
      path: file.path,
      fqn: [this.project.name, ...folders, name],
      description: '',
      tags,
      columns: {},
      meta: (config.meta as Record<string, unknown> | undefined) ?? {},
      config: { ...config, materialized: 'test', enabled: true, tags, test_type: 'singular' },
      relation: this.auditRelation(config, name),
      rawSql: file.text,
      compiledSql: '',
      dependsOn: { nodes: [...render.dependsOn], macros: [...render.macros].sort().map((m) => this.environment.macros.get(m)?.uniqueId ?? m) },
      checksum: sha256(file.text),
      stateChecksum: sha256(JSON.stringify([file.text, config, [...render.macros].sort().map((m) => this.environment.macroSource(m) ?? '')])),
      startLine: 1,
      test: { type: 'singular', kwargs: {}, columns: [], builtin: false },
    };
  }
}
