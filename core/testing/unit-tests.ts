import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError, FollowOnError, type ErrorLocation } from '../errors.js';
import { mergeConfig } from '../project/folder-config.js';
import type { YamlFile, YamlPath } from '../project/yaml-file.js';
import type { CompiledNode, SourceNode, UnitTestFixture, UnitTestInput } from '../manifest/types.js';
import type { NodeHooks } from '../template/context.js';
import { TemplateRelation } from '../template/relation.js';
import { sha256 } from '../util/hash.js';
import { didYouMean } from '../util/suggest.js';
import type { TestCompiler } from './compile-tests.js';
import { normaliseTestConfig } from './test-config.js';
import { findNode, findSource } from './test-hooks.js';
import { relocate } from './template-values.js';

/**
 * dbt 1.8's unit tests: `unit_tests:` entries in YAML that run a model's SQL on fixed inputs
 * (`given`, as rows, CSV or SQL) and compare its output with `expect`. The model is rendered
 * here with each input replaced by a CTE name; the CTEs themselves are built at run time,
 * when the inputs' column types can be read from the warehouse (see unit-test-runner.ts).
 */
export function compileUnitTests(compiler: TestCompiler): CompiledNode[] {
  const tests: CompiledNode[] = [];
  for (const { yaml, value } of compiler.project.properties) {
    (value.unit_tests ?? []).forEach((entry, index) => {
      const node = compiler.errors.attempt(() => compileUnitTest(compiler, yaml, entry, ['unit_tests', index]));
      if (node) tests.push(node);
    });
  }
  return tests;
}

const INPUT_PATTERNS = {
  ref: /^ref\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?(?:,\s*v(?:ersion)?\s*=\s*[^)]*)?\)$/,
  source: /^source\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3\s*\)$/,
};

function compileUnitTest(compiler: TestCompiler, yaml: YamlFile, entry: Record<string, unknown>, path: YamlPath): CompiledNode | undefined {
  const { project, scope } = compiler;
  const at = (...rest: (string | number)[]): ErrorLocation => ({ file: yaml.path, line: yaml.lineOf([...path, ...rest]) });
  const name = entry.name;
  if (typeof name !== 'string' || name.trim() === '') throw new ConfigError('A unit test needs a name', at(), 'unit_tests:\n  - name: test_revenue_sums_lines\n    model: fact_sales');
  if (typeof entry.model !== 'string') throw new ConfigError(`Unit test '${name}' needs the model it tests (model: name)`, at('name'));
  const models = Object.values(scope.nodes).filter((n) => n.resourceType === 'model');
  const model = models.find((m) => m.name === entry.model);
  if (!model && scope.broken?.has(entry.model)) throw new FollowOnError(`Unit test '${name}' tests model '${entry.model}', which failed to compile`, at('model'), `Fix the error reported for '${entry.model}'.`);
  if (!model) throw new ConfigError(`Unit test '${name}' tests model '${entry.model}', which does not exist or is disabled`, at('model'), didYouMean(entry.model, models.map((m) => m.name)));
  const uniqueId = `unit_test.${project.name}.${model.name}.${name}`;
  const folders = compiler.foldersOf(yaml.path);

  const rawConfig = mergeConfig(compiler.folderConfig(folders), asRecord(entry.config, `config of unit test '${name}'`, at('config')));
  const config = normaliseTestConfig({ ...rawConfig, severity: 'error', warn_if: undefined, error_if: undefined, where: undefined, limit: undefined, store_failures: false }, { ...at('config'), node: uniqueId });
  if (config.enabled === false) return undefined;

  // Inputs: which node each stands in for, and its rows.
  if (entry.given !== undefined && !Array.isArray(entry.given)) throw new ConfigError(`given of unit test '${name}' must be a list of inputs`, at('given'), "given:\n  - input: ref('stg_orders')\n    rows: [{order_id: 1}]");
  const given: UnitTestInput[] = [];
  const inputLines: (number | undefined)[] = [];
  const byNode = new Map<string, UnitTestInput>();
  ((entry.given as unknown[] | undefined) ?? []).forEach((raw, i) => {
    const itemAt = at('given', i);
    const item = asRecord(raw, `each input of unit test '${name}'`, itemAt);
    if (typeof item.input !== 'string') throw new ConfigError(`An input of unit test '${name}' has no input: ref('model'), source('name', 'table') or this`, itemAt);
    const text = item.input.trim();
    const target = resolveInput(compiler, text, model, { ...at('given', i, 'input'), node: uniqueId });
    const key = text === 'this' ? 'this' : target;
    if (byNode.has(key)) throw new ConfigError(`Unit test '${name}' gives ${text} twice`, at('given', i, 'input'));
    const fixture = parseFixture(compiler, yaml, item, [...path, 'given', i], `input ${text} of unit test '${name}'`, true);
    const input: UnitTestInput = { ...fixture, input: text, node: target, cte: `__smelt_given_${i}_${cteSafe(text)}` };
    byNode.set(key, input);
    given.push(input);
    inputLines.push(yaml.lineOf([...path, 'given', i, 'input']));
  });
  if (entry.expect === undefined) throw new ConfigError(`Unit test '${name}' needs expect: the rows the model should return`, at('name'), 'expect:\n  rows:\n    - {order_id: 1, amount: 10}');
  const expected = parseFixture(compiler, yaml, asRecord(entry.expect, `expect of unit test '${name}'`, at('expect')), [...path, 'expect'], `expect of unit test '${name}'`, false);

  const overrides = asRecord(entry.overrides, `overrides of unit test '${name}'`, at('overrides'));
  const macroOverrides = asRecord(overrides.macros, 'overrides.macros', at('overrides', 'macros'));
  const varOverrides = asRecord(overrides.vars, 'overrides.vars', at('overrides', 'vars'));
  const envOverrides = asRecord(overrides.env_vars, 'overrides.env_vars', at('overrides', 'env_vars'));

  // Render the model with every input replaced by its CTE.
  const used = new Set<string>();
  const missing: string[] = [];
  const stand = (node: CompiledNode | SourceNode, label: string): TemplateRelation => {
    const input = byNode.get(node.uniqueId);
    if (input) {
      used.add(node.uniqueId);
      return new TemplateRelation(node.relation, scope.quote, input.cte);
    }
    // dbt reads a seed that is not given as it is; anything else must be given.
    if (node.resourceType !== 'seed' && !missing.includes(label)) missing.push(label);
    return compiler.templateRelation(node);
  };
  const thisInput = byNode.get('this');
  if (thisInput) used.add('this');
  const hooks: NodeHooks = {
    nodeName: model.name,
    ref: (refName) => stand(findNode(scope, refName, uniqueId), `ref('${refName}')`),
    source: (sourceName, tableName) => stand(findSource(scope, sourceName, tableName, uniqueId), `source('${sourceName}', '${tableName}')`),
    setConfig: () => undefined,
    getConfig: (key) => model.config[key],
    this: new TemplateRelation(model.relation, scope.quote, thisInput?.cte),
    isIncremental: () => macroOverrides.is_incremental === true,
    model: { name: model.name, unique_id: model.uniqueId, resource_type: 'model', path: model.path, config: model.config, schema: model.relation.schema, alias: model.relation.identifier },
  };
  const sql = withOverrides(compiler, varOverrides, macroOverrides, envOverrides, () => {
    try {
      return compiler.input.context.renderNode({ path: model.path, text: model.rawSql }, hooks, uniqueId);
    } catch (error) {
      throw relocate(error, { ...at('name'), node: uniqueId });
    }
  });
  if (missing.length > 0) {
    throw new ConfigError(
      `Unit test '${name}': model ${model.name} reads ${missing.join(', ')}, which given does not provide`,
      { ...at('given'), node: uniqueId },
      `Add an input for each, e.g.\n  - input: ${missing[0]}\n    rows: []     # an empty input`,
    );
  }
  for (const [i, input] of given.entries()) {
    const key = input.input === 'this' ? 'this' : input.node;
    if (!used.has(key)) {
      throw new ConfigError(`Unit test '${name}': model ${model.name} does not read ${input.input}`, { file: yaml.path, line: inputLines[i], node: uniqueId }, 'Remove this input, or check its name against the model\'s refs and sources.');
    }
  }

  const tags = (config.tags as string[] | undefined) ?? [];
  const line = yaml.lineOf([...path, 'name']) ?? 1;
  return {
    uniqueId,
    resourceType: 'test',
    name,
    packageName: project.name,
    path: yaml.path,
    fqn: [project.name, ...folders, model.name, name],
    description: typeof entry.description === 'string' ? entry.description : '',
    tags,
    columns: {},
    meta: (config.meta as Record<string, unknown> | undefined) ?? {},
    config: { ...config, materialized: 'test', enabled: true, tags, test_type: 'unit' },
    relation: model.relation,
    rawSql: model.rawSql,
    compiledSql: sql,
    dependsOn: { nodes: [model.uniqueId], macros: [] },
    checksum: sha256(JSON.stringify(entry)),
    stateChecksum: sha256(JSON.stringify([entry, model.stateChecksum])),
    startLine: line,
    test: { type: 'unit', kwargs: {}, attachedNode: model.uniqueId, columns: [], builtin: false, unit: { given, expect: expected } },
  };
}

/** The node an input stands for: `ref('x')`, `source('s', 't')`, or `this` (the model itself, for incremental runs). */
function resolveInput(compiler: TestCompiler, text: string, model: CompiledNode, at: ErrorLocation): string {
  if (text === 'this') return model.uniqueId;
  const ref = INPUT_PATTERNS.ref.exec(text);
  try {
    if (ref) return findNode(compiler.scope, ref[4] ?? ref[2]!, at.node ?? '').uniqueId;
    const source = INPUT_PATTERNS.source.exec(text);
    if (source) return findSource(compiler.scope, source[2]!, source[4]!, at.node ?? '').uniqueId;
  } catch (error) {
    throw relocate(error, at);
  }
  throw new ConfigError(`Unit test input '${text}' is not ref('model'), source('name', 'table') or this`, at, "Example: - input: ref('stg_orders')");
}

/** rows (a list of mappings, CSV text or SQL text) or a fixture file under <test-path>/fixtures/. */
function parseFixture(compiler: TestCompiler, yaml: YamlFile, item: Record<string, unknown>, path: YamlPath, what: string, isInput: boolean): UnitTestFixture {
  const format = item.format ?? 'dict';
  if (format !== 'dict' && format !== 'csv' && format !== 'sql') {
    throw new ConfigError(`format of ${what} must be dict, csv or sql, not ${JSON.stringify(format)}`, { file: yaml.path, line: yaml.lineOf([...path, 'format']) });
  }
  const line = yaml.lineOf([...path, 'rows']) ?? yaml.lineOf(path) ?? 1;
  if (item.fixture !== undefined) {
    if (format === 'dict') throw new ConfigError(`A fixture file for ${what} needs format: csv or sql`, { file: yaml.path, line: yaml.lineOf([...path, 'fixture']) });
    const file = findFixture(compiler, String(item.fixture), format);
    if (!file) {
      const where = compiler.project.config['test-paths'].map((p) => `${p}/fixtures/${String(item.fixture)}.${format}`).join(' or ');
      throw new ConfigError(`Fixture '${String(item.fixture)}' of ${what} not found`, { file: yaml.path, line: yaml.lineOf([...path, 'fixture']) }, `Put it at ${where}.`);
    }
    const text = readFileSync(join(compiler.project.root, file), 'utf8');
    return format === 'sql' ? { sql: text, file, line: 1, rowLines: [] } : csvRows(text, file, 0, what);
  }
  const rows = item.rows;
  if (rows === undefined || rows === null) {
    if (isInput) throw new ConfigError(`${capitalise(what)} has no rows`, { file: yaml.path, line: yaml.lineOf(path) }, 'Give rows, or rows: [] for an empty input.');
    throw new ConfigError(`${capitalise(what)} has no rows`, { file: yaml.path, line: yaml.lineOf(path) }, 'Give the expected rows, or rows: [] when the model should return none.');
  }
  if (format === 'sql') {
    if (typeof rows !== 'string') throw new ConfigError(`rows of ${what} must be SQL text with format: sql`, { file: yaml.path, line });
    return { sql: rows, line, rowLines: [] };
  }
  if (format === 'csv') {
    if (typeof rows !== 'string') throw new ConfigError(`rows of ${what} must be CSV text with format: csv`, { file: yaml.path, line }, 'rows: |\n  id,name\n  1,alice');
    // A block scalar (`rows: |`) starts on the line after the key: the header is there, rows follow.
    return { ...csvRows(rows, yaml.path, line, what) };
  }
  if (!Array.isArray(rows)) {
    throw new ConfigError(`rows of ${what} must be a list of rows`, { file: yaml.path, line }, typeof rows === 'string' ? 'For CSV text, add format: csv.' : 'rows:\n  - {id: 1, name: alice}');
  }
  const rowLines = rows.map((_row, k) => yaml.lineOf([...path, 'rows', k]) ?? line);
  rows.forEach((row, k) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new ConfigError(`Row ${k + 1} of ${what} must be a mapping of column to value, not ${JSON.stringify(row)}`, { file: yaml.path, line: rowLines[k] }, '- {id: 1, name: alice}');
    }
  });
  return { rows: rows as Record<string, unknown>[], line, rowLines };
}

function csvRows(text: string, file: string, headerLineBefore: number, what: string): UnitTestFixture {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new ConfigError(`CSV rows of ${what}: ${(error as Error).message.split('\n')[0]}`, { file, line: headerLineBefore + (lines ?? 1) }, 'Every row needs as many values as the header has columns.');
  }
  const rows = records.map((record) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === '' ? null : v])));
  return { rows, ...(headerLineBefore === 0 ? { file } : {}), line: headerLineBefore + 1, rowLines: rows.map((_r, k) => headerLineBefore + 2 + k) };
}

function findFixture(compiler: TestCompiler, name: string, format: string): string | undefined {
  for (const testPath of compiler.project.config['test-paths']) {
    for (const candidate of [`${testPath}/fixtures/${name}.${format}`, `${testPath}/fixtures/${name}`]) {
      if (existsSync(join(compiler.project.root, candidate))) return candidate;
    }
  }
  return undefined;
}

/** Applies overrides of vars, macros and env vars while `fn` renders, and undoes them after. */
function withOverrides<T>(compiler: TestCompiler, vars: Record<string, unknown>, macros: Record<string, unknown>, env: Record<string, unknown>, fn: () => T): T {
  const run = compiler.input.run;
  const { environment } = compiler;
  const savedVars = run.vars;
  const savedEnv = run.env;
  const savedGlobals = new Map<string, unknown>();
  run.vars = { ...run.vars, ...vars };
  run.env = { ...run.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) };
  for (const [name, value] of Object.entries(macros)) {
    if (name === 'is_incremental') continue;
    savedGlobals.set(name, environment.globals[name]);
    environment.setGlobal(name, () => value);
  }
  try {
    return fn();
  } finally {
    run.vars = savedVars;
    run.env = savedEnv;
    for (const [name, value] of savedGlobals) environment.setGlobal(name, value);
  }
}

function asRecord(value: unknown, what: string, at: ErrorLocation): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${capitalise(what)} must be a mapping, not ${JSON.stringify(value)}`, at);
  return value as Record<string, unknown>;
}

function cteSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
