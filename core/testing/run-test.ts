import { withConnection, type Adapter, type Connection } from '../adapters/adapter.js';
import { stripTrailingSemicolon } from '../adapters/dialect.js';
import { SmeltError, TestError } from '../errors.js';
import type { CompiledNode, Manifest, SourceNode } from '../manifest/types.js';
import type { NodeResult } from '../runner/results.js';
import { didYouMean } from '../util/suggest.js';
import { batchQuery, isBatchable, MAX_BATCH } from './batch.js';
import { ColumnCache, findColumn } from './column-cache.js';
import { describeThreshold, testSettings, testStatus, type TestSettings } from './test-config.js';
import { runUnitTest } from './unit-test-runner.js';

export interface TestRunnerOptions {
  adapter: Adapter;
  manifest: Manifest;
  redact: (text: string) => string;
  /** Where a node's compiled SQL is written, relative to the project root (for messages). */
  compiledFile: (node: CompiledNode) => string;
  /** `--store-failures`: keep every test's failing rows, whatever its config says. */
  storeFailures?: boolean;
  /** Let tests on the same relation share one scan where the adapter says it pays (see batch.ts); false: never. */
  batch?: boolean;
}

/** What the queue runs: one test, or several that share a scan. */
export interface TestUnit {
  id: string;
  tests: CompiledNode[];
}

/**
 * Runs data tests and unit tests. A test's outcome is always a result (pass, warn, fail or
 * error with file and line), never an exception, so one broken test does not stop the others.
 */
export class TestRunner {
  readonly columns: ColumnCache;

  constructor(private readonly options: TestRunnerOptions) {
    this.columns = new ColumnCache(options.adapter);
  }

  get manifest(): Manifest {
    return this.options.manifest;
  }

  /**
   * Groups the tests to run into units: batchable tests of the same relation share one (when
   * there are at least two of them), every other test is a unit of its own. Units keep the
   * order of `ids`.
   */
  plan(ids: readonly string[]): TestUnit[] {
    const { manifest } = this.options;
    const units: TestUnit[] = [];
    const groups = new Map<string, TestUnit[]>();
    const share = this.options.batch !== false && this.options.adapter.capabilities.sharedTestScans;
    for (const id of ids) {
      const test = manifest.nodes[id]!;
      const attached = test.test?.attachedNode;
      if (share && attached && isBatchable(test, this.nodeOrSource(attached), !!this.options.storeFailures)) {
        const chain = groups.get(attached) ?? [];
        let unit = chain.at(-1);
        if (!unit || unit.tests.length >= MAX_BATCH) {
          unit = { id: `batch:${attached}:${chain.length}`, tests: [] };
          chain.push(unit);
          groups.set(attached, chain);
          units.push(unit);
        }
        unit.tests.push(test);
      } else {
        units.push({ id, tests: [test] });
      }
    }
    // A "batch" of one is just a test.
    return units.map((unit) => (unit.tests.length === 1 ? { id: unit.tests[0]!.uniqueId, tests: unit.tests } : unit));
  }

  /** Runs one unit; its results come back in the order of unit.tests. */
  async runUnit(unit: TestUnit, onResult?: (result: NodeResult) => void): Promise<NodeResult[]> {
    const results = unit.tests.length === 1 ? [await this.runTest(unit.tests[0]!)] : await this.runBatch(unit.tests);
    results.forEach((r) => onResult?.(r));
    return results;
  }

  async runTest(test: CompiledNode): Promise<NodeResult> {
    const started = performance.now();
    try {
      if (test.test?.type === 'unit') {
        const outcome = await withConnection(this.options.adapter, (c) => runUnitTest({ adapter: this.options.adapter, connection: c, manifest: this.options.manifest, columns: this.columns, test }));
        return this.result(test, started, outcome.failures > 0 ? 'fail' : 'pass', { failures: outcome.failures, ...(outcome.message ? { message: outcome.message } : {}) });
      }
      const problem = await this.checkColumns(test);
      if (problem) return this.errorResult(test, started, problem);
      const settings = testSettings(test.config);
      const failures = await withConnection(this.options.adapter, (c) => this.failures(c, test, settings));
      return this.outcome(test, started, settings, failures);
    } catch (error) {
      if (!(error instanceof SmeltError)) throw error;
      return this.errorResult(test, started, error);
    }
  }

  /** One scan for all; a unique test that finds duplicates is run again alone for dbt's count. */
  private async runBatch(tests: CompiledNode[]): Promise<NodeResult[]> {
    const started = performance.now();
    const checked = await Promise.all(tests.map(async (t) => ({ test: t, problem: await this.checkColumns(t).catch((e: unknown) => e) })));
    const results = new Map<string, NodeResult>();
    for (const { test, problem } of checked) {
      if (problem instanceof SmeltError) results.set(test.uniqueId, this.errorResult(test, started, problem));
      else if (problem) throw problem;
    }
    const runnable = tests.filter((t) => !results.has(t.uniqueId));
    if (runnable.length > 0) {
      const attached = this.nodeOrSource(runnable[0]!.test!.attachedNode!)!;
      const query = batchQuery(this.options.adapter.dialect.relation(attached.relation), runnable, this.options.adapter.dialect);
      let row: Record<string, unknown> | undefined;
      try {
        [row] = await withConnection(this.options.adapter, (c) => c.query(query.sql));
      } catch (error) {
        if (!(error instanceof SmeltError)) throw error;
        // Some test's SQL is wrong: run each alone so the error lands on the right one.
        for (const test of runnable) results.set(test.uniqueId, await this.runTest(test));
      }
      if (row) {
        for (const [index, test] of runnable.entries()) {
          const count = Number(row[query.aliases[index]!] ?? 0);
          if (test.test!.name === 'unique' && count > 0) results.set(test.uniqueId, await this.runTest(test));
          else results.set(test.uniqueId, this.outcome(test, started, testSettings(test.config), count));
        }
      }
    }
    return tests.map((t) => results.get(t.uniqueId)!);
  }

  private async failures(connection: Connection, test: CompiledNode, settings: TestSettings): Promise<number> {
    const { dialect } = this.options.adapter;
    let main = stripTrailingSemicolon(test.compiledSql);
    if (settings.limit !== undefined) main = `select * from (\n${main}\n) as dbt_internal_limit limit ${settings.limit}`;
    if (settings.storeFailures || this.options.storeFailures) {
      return connection.transaction(async () => {
        await connection.execute(dialect.drop(test.relation, 'table', { ifExists: true }));
        await connection.execute(dialect.createTableAs(test.relation, main));
        const [row] = await connection.query(`select ${settings.failCalc} as failures from ${dialect.relation(test.relation)}`);
        return Number(row?.failures ?? 0);
      });
    }
    const [row] = await connection.query(`select ${settings.failCalc} as failures from (\n${main}\n) as dbt_internal_test`);
    return Number(row?.failures ?? 0);
  }

  /**
   * Columns a test names must exist: a typo in YAML is reported at its line, with the columns
   * the relation does have, instead of as the database's binder error.
   */
  private async checkColumns(test: CompiledNode): Promise<SmeltError | undefined> {
    for (const { node: id, column } of test.test?.columns ?? []) {
      const node = this.nodeOrSource(id);
      if (!node || (node.resourceType !== 'source' && node.config.materialized === 'ephemeral')) continue;
      const columns = await this.columns.columns(node.relation);
      const where = { file: test.path, line: test.startLine, node: test.uniqueId };
      if (!columns) {
        return new TestError(
          `${node.name} (${this.options.adapter.dialect.relation(node.relation)}) does not exist in the warehouse`,
          where,
          node.resourceType === 'source' ? 'Load the source table first.' : `Build it first: smelt build -s ${node.name} (build runs each model's tests right after it).`,
        );
      }
      if (!findColumn(columns, column)) {
        const names = columns.map((c) => c.name);
        return new TestError(
          `Column '${column}' does not exist in ${node.name}`,
          where,
          `${didYouMean(column.replace(/^"|"$/g, ''), names) ?? ''} ${node.name} has: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''}.`.trim(),
        );
      }
    }
    return undefined;
  }

  private outcome(test: CompiledNode, started: number, settings: TestSettings, failures: number): NodeResult {
    const status = testStatus(settings, failures);
    if (status === 'pass') return this.result(test, started, 'pass', { failures });
    const threshold = status === 'fail' ? `fail if ${describeThreshold(settings.errorIf)}` : `warn if ${describeThreshold(settings.warnIf)}`;
    const lines = [`Got ${failures} result${failures === 1 ? '' : 's'}, configured to ${threshold}`];
    if (settings.storeFailures || this.options.storeFailures) lines.push(`Failing rows: select * from ${this.options.adapter.dialect.relation(test.relation)}`);
    return this.result(test, started, status, { failures, message: lines.join('\n'), hint: `The test's SQL: ${this.options.compiledFile(test)}` });
  }

  private errorResult(test: CompiledNode, started: number, error: SmeltError): NodeResult {
    const compiled = this.options.compiledFile(test);
    // A database error in a test is about its SQL (in the compiled file), but the user fixes it where the test is declared.
    const where = error.kind === 'database'
      ? (test.test?.type === 'singular' ? `${compiled}${error.location.line ? `:${Math.max(1, error.location.line - 1)}` : ''}` : `${test.path}:${test.startLine}`)
      : error.where || `${test.path}:${test.startLine}`;
    const hint = error.hint ?? (error.kind === 'database' ? `The test's SQL: ${compiled}` : undefined);
    return this.result(test, started, 'error', { message: this.options.redact(error.message), where, ...(hint ? { hint } : {}) });
  }

  private result(test: CompiledNode, started: number, status: NodeResult['status'], extra: Partial<NodeResult>): NodeResult {
    const where = status === 'fail' || status === 'warn' ? `${test.path}${test.test?.type === 'singular' ? '' : `:${test.startLine}`}` : undefined;
    return {
      uniqueId: test.uniqueId,
      name: test.name,
      resourceType: 'test',
      materialization: test.test?.type === 'unit' ? 'unit' : 'test',
      status,
      executionTime: (performance.now() - started) / 1000,
      startedAt: new Date(performance.timeOrigin + started).toISOString(),
      completedAt: new Date().toISOString(),
      ...(where ? { where } : {}),
      warnings: [],
      ...extra,
    };
  }

  private nodeOrSource(id: string): CompiledNode | SourceNode | undefined {
    return this.options.manifest.nodes[id] ?? this.options.manifest.sources[id];
  }
}
