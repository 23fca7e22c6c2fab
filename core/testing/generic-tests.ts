import { ConfigError, type ErrorCollector, type ErrorLocation } from '../errors.js';
import { mergeConfig } from '../project/folder-config.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import type { CompiledNode, SourceNode } from '../manifest/types.js';
import { TemplateRelation } from '../template/relation.js';
import { sha256 } from '../util/hash.js';
import { didYouMean } from '../util/suggest.js';
import { BUILTIN_NAMESPACES, BUILTIN_TESTS, combinationColumns } from './builtin-tests.js';
import { renderCustomTest } from './custom-tests.js';
import { normaliseTestConfig, TEST_CONFIG_KEYS } from './test-config.js';
import { TestRender } from './test-hooks.js';
import { genericTestName } from './test-names.js';
import type { TestCompiler } from './compile-tests.js';

/** One entry of a `data_tests:` (or `tests:`) list, split into what dbt distinguishes. */
export interface TestEntry {
  name: string;
  namespace?: string;
  /** `name:` given by the user instead of the synthesized one. */
  customName?: string;
  args: Record<string, unknown>;
  config: Record<string, unknown>;
  description?: string;
  /** Model-level tests may name a column (or an expression) themselves. */
  columnName?: string;
  /** YAML path of each argument, for errors. */
  argPath: (arg?: string) => YamlPath;
}

/** Where a test is declared: a model, seed or snapshot entry, or a source table. */
export interface TestTarget {
  node: CompiledNode | SourceNode;
  /** dbt's name for the target in test names: the model's name, or `<source>_<table>`. */
  targetName: string;
  /** `source_` for tests on sources, as in dbt's names. */
  prefix: string;
  yaml: YamlFile;
  /** The target's own YAML path (`['models', 3]`). */
  path: YamlPath;
}

export interface TestColumn {
  name: string;
  quote: boolean;
  tags: string[];
}

const SIMPLE_COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$|^"(?:[^"]|"")+"$/;

/** Parses one list entry: `unique`, `{accepted_values: {values: [...]}}` or `{name: x, test_name: y, ...}`. */
export function parseTestEntry(entry: unknown, entryPath: YamlPath, yaml: YamlFile): TestEntry {
  const at = { file: yaml.path, line: yaml.lineOf(entryPath) };
  const example = 'Write a test name (- unique), or the name with its arguments (- accepted_values: {values: [a, b]}).';
  if (typeof entry === 'string') {
    if (entry.trim() === '') throw new ConfigError('A test entry is empty', at, example);
    return { ...splitName(entry.trim()), args: {}, config: {}, argPath: () => entryPath };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ConfigError(`A test entry must be a name or a mapping, not ${JSON.stringify(entry)}`, at, example);
  const record = entry as Record<string, unknown>;
  let name: string;
  let body: Record<string, unknown>;
  let bodyPath: YamlPath;
  if (typeof record.test_name === 'string') {
    ({ test_name: name, ...body } = record as { test_name: string });
    bodyPath = entryPath;
  } else {
    const keys = Object.keys(record);
    if (keys.length !== 1) {
      throw new ConfigError(`A test entry has ${keys.length} keys (${keys.join(', ')}); its only key must be the test's name`, at, `${example} Arguments and config go under the name, indented.`);
    }
    name = keys[0]!;
    const value = record[name];
    if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
      throw new ConfigError(`The arguments of test '${name}' must be a mapping, not ${JSON.stringify(value)}`, { file: yaml.path, line: yaml.lineOf([...entryPath, name]) }, example);
    }
    body = (value as Record<string, unknown> | null) ?? {};
    bodyPath = [...entryPath, name];
  }
  const parsed: TestEntry = { ...splitName(name), args: {}, config: {}, argPath: (arg) => (arg === undefined ? bodyPath : inArguments.has(arg) ? [...bodyPath, 'arguments', arg] : [...bodyPath, arg]) };
  const inArguments = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'name' && typeof value === 'string') parsed.customName = value;
    else if (key === 'description' && typeof value === 'string') parsed.description = value;
    else if (key === 'column_name' && typeof value === 'string') parsed.columnName = value;
    else if (key === 'config') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`config of test '${name}' must be a mapping`, { file: yaml.path, line: yaml.lineOf([...bodyPath, 'config']) });
      parsed.config = mergeConfig(parsed.config, value as Record<string, unknown>);
    } else if (key === 'arguments') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`arguments of test '${name}' must be a mapping`, { file: yaml.path, line: yaml.lineOf([...bodyPath, 'arguments']) });
      for (const [arg, argValue] of Object.entries(value as Record<string, unknown>)) {
        inArguments.add(arg);
        parsed.args[arg] = argValue;
      }
    } else if (TEST_CONFIG_KEYS.has(key)) parsed.config = mergeConfig(parsed.config, { [key]: value });
    else parsed.args[key] = value;
  }
  return parsed;
}

function splitName(full: string): { name: string; namespace?: string } {
  const dot = full.lastIndexOf('.');
  return dot < 0 ? { name: full } : { name: full.slice(dot + 1), namespace: full.slice(0, dot) };
}

/** Builds the test node for one entry on one target (and column). */
export function compileGenericTest(compiler: TestCompiler, target: TestTarget, column: TestColumn | undefined, entry: TestEntry, entryPath: YamlPath, folders: string[]): CompiledNode | undefined {
  const { yaml } = target;
  const { environment, project, scope } = compiler;
  const line = yaml.lineOf(entryPath);
  const label = entry.namespace ? `${entry.namespace}.${entry.name}` : entry.name;
  const at = (arg?: string): ErrorLocation => ({ file: yaml.path, line: yaml.lineOf(entry.argPath(arg)) });

  const macroName = `test_${entry.name}`;
  const custom = environment.macros.has(macroName);
  const builtin = !custom && (entry.namespace === undefined || BUILTIN_NAMESPACES.has(entry.namespace)) ? BUILTIN_TESTS[entry.name] : undefined;
  if (!custom && !builtin) {
    const known = [...Object.keys(BUILTIN_TESTS), ...[...environment.macros.keys()].filter((m) => m.startsWith('test_')).map((m) => m.slice(5))];
    const suggestion = didYouMean(entry.name, known);
    throw new ConfigError(
      `Unknown test '${label}'`,
      { file: yaml.path, line },
      suggestion ?? (entry.namespace && !BUILTIN_NAMESPACES.has(entry.namespace)
        ? `smelt installs no packages: define it in macros/ as {% test ${entry.name}(model, column_name) %} ... {% endtest %}.`
        : `Built-in tests: ${Object.keys(BUILTIN_TESTS).join(', ')}; or define {% test ${entry.name}(model, column_name) %} in macros/.`),
    );
  }

  const columnName = column ? (column.quote ? compiler.quote(column.name) : column.name) : entry.columnName;
  const nameArgs: Record<string, unknown> = { ...entry.args, ...(columnName !== undefined ? { column_name: columnName } : {}) };
  const synthesized = genericTestName(`${target.prefix}${entry.namespace ? `${entry.namespace}_` : ''}${entry.name}`, target.targetName, nameArgs);
  const name = entry.customName ?? synthesized.shortName;
  const hash = sha256(JSON.stringify([yaml.path, target.node.uniqueId, synthesized.fullName, entry.customName ?? ''])).slice(0, 10);
  const uniqueId = `test.${project.name}.${name}.${hash}`;

  const rawConfig = mergeConfig(mergeConfig(compiler.folderConfig(folders), column?.tags.length ? { tags: column.tags } : {}), entry.config);
  const render = new TestRender(scope, name, uniqueId, yaml.path, rawConfig);
  render.dependsOn.add(target.node.uniqueId);
  const hooks = render.hooks();
  const config = normaliseTestConfig(compiler.values.value(render.config, hooks, { file: yaml.path, line, node: uniqueId }) as Record<string, unknown>, { file: yaml.path, line: yaml.lineOf([...entry.argPath(), 'config']) ?? line, node: uniqueId });
  if (config.enabled === false) return undefined;

  const args = Object.fromEntries(Object.entries(entry.args).map(([k, v]) => [k, compiler.values.value(v, hooks, { ...at(k), node: uniqueId })]));
  const modelRelation = compiler.relationText(target.node);
  const where = typeof config.where === 'string' && config.where.trim() !== '' ? config.where : undefined;
  const model = where ? `(select * from ${modelRelation} where ${where}) dbt_subquery` : modelRelation;

  let sql: string;
  const columns: { node: string; column: string }[] = [];
  const checkColumn = (node: string | undefined, name: unknown) => {
    if (node && typeof name === 'string' && SIMPLE_COLUMN.test(name)) columns.push({ node, column: name });
  };
  if (builtin) {
    if (builtin.needsColumn && columnName === undefined) {
      throw new ConfigError(`Test '${label}' checks a column: declare it under the column, or give column_name`, { file: yaml.path, line }, `columns:\n    - name: id\n      data_tests: [${entry.name}]`);
    }
    for (const arg of builtin.args) {
      if (arg.required && args[arg.name] === undefined) {
        throw new ConfigError(`Test '${label}' needs argument '${arg.name}'`, at(), `Example: ${EXAMPLES[entry.name] ?? `${entry.name}: {${arg.name}: ...}`}`);
      }
    }
    const knownArgs = new Set(builtin.args.map((a) => a.name));
    const unknown = Object.keys(args).filter((k) => !knownArgs.has(k));
    if (unknown.length > 0) {
      throw new ConfigError(`Test '${label}' has no argument${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `'${u}'`).join(', ')}`, at(unknown[0]), builtin.args.length ? `It takes: ${builtin.args.map((a) => a.name).join(', ')}.` : 'It takes no arguments besides its column.');
    }
    if (entry.name === 'relationships' && !(args.to instanceof TemplateRelation)) {
      throw new ConfigError(`relationships: 'to' must be ref('model') or source('name', 'table'), not ${JSON.stringify(entry.args.to)}`, at('to'), "Example: {to: ref('dim_customers'), field: customer_id}");
    }
    sql = builtin.sql({ model, columnName, args, at, literal: compiler.literal });
    checkColumn(target.node.uniqueId, columnName);
    if (entry.name === 'relationships') checkColumn(render.nodeOf(args.to as TemplateRelation), args.field);
    if (entry.name === 'unique_combination_of_columns') for (const c of combinationColumns(args, at)) checkColumn(target.node.uniqueId, c);
  } else {
    const kwargs = { ...args, model: where ? model : compiler.templateRelation(target.node), ...(columnName !== undefined ? { column_name: columnName } : {}) };
    sql = renderCustomTest({ environment, values: compiler.values, hooks, macroName, testLabel: label, kwargs, at: { file: yaml.path, line, node: uniqueId } });
    if (column) checkColumn(target.node.uniqueId, columnName);
  }

  const macroIds = [...render.macros].sort().map((m) => environment.macros.get(m)?.uniqueId ?? m);
  const tags = (config.tags as string[] | undefined) ?? [];
  const kwargs = { ...serialisable(args), ...(columnName !== undefined ? { column_name: columnName } : {}) };
  compiler.rendered.set(uniqueId, sql);
  return {
    uniqueId,
    resourceType: 'test',
    name,
    packageName: project.name,
    path: yaml.path,
    fqn: [project.name, ...folders, name],
    description: entry.description ?? '',
    tags,
    columns: {},
    meta: (config.meta as Record<string, unknown> | undefined) ?? {},
    config: {
      ...config,
      materialized: 'test',
      enabled: true,
      tags,
      test_type: 'generic',
      test_name: entry.name,
      ...(entry.namespace ? { test_namespace: entry.namespace } : {}),
    },
    relation: compiler.auditRelation(config, name),
    rawSql: `{{ ${entry.namespace ? `${entry.namespace}.` : ''}test_${entry.name}(**_dbt_generic_test_kwargs) }}`,
    compiledSql: '',
    // A custom test's macro is among the macros it called.
    dependsOn: { nodes: [...render.dependsOn], macros: macroIds },
    checksum: sha256(JSON.stringify([entry.name, entry.namespace, kwargs, entry.config])),
    stateChecksum: sha256(JSON.stringify([entry.name, entry.namespace, kwargs, config, custom ? environment.macroSource(macroName) : 'builtin'])),
    startLine: line ?? 1,
    test: {
      type: 'generic',
      name: entry.name,
      ...(entry.namespace ? { namespace: entry.namespace } : {}),
      kwargs,
      ...(columnName !== undefined ? { columnName } : {}),
      attachedNode: target.node.uniqueId,
      columns,
      builtin: !!builtin,
    },
  };
}

const EXAMPLES: Record<string, string> = {
  relationships: "relationships: {to: ref('dim_customers'), field: customer_id}",
  accepted_values: 'accepted_values: {values: [placed, shipped]}',
  unique_combination_of_columns: 'unique_combination_of_columns: {combination_of_columns: [order_id, line_number]}',
};

/** Arguments after their templates ran (relations as their text), for the manifest and batching. */
function serialisable(args: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(args, (_k, v: unknown) => (v instanceof TemplateRelation ? v.render() : v))) as Record<string, unknown>;
}

/** Every test list of a target: model-level and per column, under `data_tests:` and dbt's older `tests:`. */
export function collectTargetTests(compiler: TestCompiler, target: TestTarget, properties: { tests?: unknown[]; data_tests?: unknown[]; columns?: { name: string; quote?: boolean; tags?: string[]; tests?: unknown[]; data_tests?: unknown[] }[] }, folders: string[], errors: ErrorCollector): CompiledNode[] {
  const tests: CompiledNode[] = [];
  const each = (list: unknown[] | undefined, listPath: YamlPath, column: TestColumn | undefined) => {
    (list ?? []).forEach((raw, index) => {
      const entryPath = [...listPath, index];
      errors.attempt(() => {
        const entry = parseTestEntry(raw, entryPath, target.yaml);
        const node = compileGenericTest(compiler, target, column, entry, entryPath, folders);
        if (node) tests.push(node);
      });
    });
  };
  for (const key of ['data_tests', 'tests'] as const) {
    each(properties[key], [...target.path, key], undefined);
    (properties.columns ?? []).forEach((column, index) => {
      each(column[key], [...target.path, 'columns', index, key], { name: column.name, quote: column.quote === true, tags: column.tags ?? [] });
    });
  }
  return tests;
}
