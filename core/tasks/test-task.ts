import { relative } from 'node:path';
import type { Adapter } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { withSqlLog } from '../adapters/sql-log.js';
import { Dag } from '../graph/dag.js';
import type { CompiledNode } from '../manifest/types.js';
import { compiledFileOf, compiledPath, writeRunResults } from '../runner/artifacts.js';
import { runQueue } from '../runner/queue.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import { TestRunner, type TestUnit } from '../testing/run-test.js';
import { testSettings } from '../testing/test-config.js';
import { ensureSchemas } from './build-nodes.js';
import { runProjectHooks } from './run-hooks.js';

export interface TestOptions {
  select?: string[];
  exclude?: string[];
  failFast?: boolean;
  /** Keep every selected test's failing rows in the audit schema. */
  storeFailures?: boolean;
  /** Let tests on the same relation share one scan (default true). */
  batch?: boolean;
}

/** `smelt test`: runs the selected data tests and unit tests, up to --threads at once. */
export async function testTask(session: Session, options: TestOptions, reporter: Reporter): Promise<RunSummary> {
  const { started, manifest, redact, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude, resourceTypes: ['test'] }, { compiled: true });

  let summary: RunSummary;
  if (selected.length === 0) {
    reporter.info('Nothing to do: no tests are selected.');
    summary = { command: 'test', results: [], elapsed: (performance.now() - started) / 1000, success: true };
  } else {
    const adapter = await openAdapter(session, reporter, redact);
    try {
      reporter.info(`Running ${selected.length} test${selected.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      const runner = testRunner(session, adapter, redact, options);
      await prepareTests(session, adapter, selected.map((id) => manifest.nodes[id]!), options);
      await runProjectHooks(session, adapter, 'on-run-start');
      let results: NodeResult[] = [];
      try {
        results = await runTests(runner, selected, session.threads, reporter, !!options.failFast);
      } finally {
        await runProjectHooks(session, adapter, 'on-run-end');
      }
      summary = { command: 'test', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
    } finally {
      await adapter.close();
    }
  }
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}

export async function openAdapter(session: Session, reporter: Reporter, redact: (text: string) => string, beforeOpen?: (adapter: Adapter) => Promise<void>): Promise<Adapter> {
  const raw = await createAdapter(session.target, session.root, session.threads);
  const adapter = reporter.debugEnabled && reporter.debug ? withSqlLog(raw, (m) => reporter.debug?.(redact(m))) : raw;
  // Commands that write take the target's lock first: a DuckDB file held by another process
  // is then waited for (--wait) instead of failing to open.
  await beforeOpen?.(adapter);
  await adapter.open();
  return adapter;
}

export function testRunner(session: Session, adapter: Adapter, redact: (text: string) => string, options: Pick<TestOptions, 'storeFailures' | 'batch'>): TestRunner {
  const projectName = session.project.name;
  return new TestRunner({
    adapter,
    manifest: session.compiled.manifest,
    redact,
    compiledFile: (node) => relative(session.root, compiledPath(session.targetPath, projectName, compiledFileOf(node))),
    storeFailures: options.storeFailures,
    batch: options.batch,
  });
}

/**
 * Schemas exist before tests run: those stored failures go to, those of unit-tested models
 * (their SQL is described there, in a transaction that is rolled back, and concurrent creations
 * of one schema would conflict) and the target schema, for project hooks.
 */
export async function prepareTests(session: Session, adapter: Adapter, tests: CompiledNode[], options: Pick<TestOptions, 'storeFailures'>): Promise<void> {
  const { manifest } = session.compiled;
  const storing = tests.filter((t) => t.test?.type !== 'unit' && (options.storeFailures || testSettings(t.config).storeFailures));
  const unitTested = tests.filter((t) => t.test?.type === 'unit').map((t) => manifest.nodes[t.test!.attachedNode!]!);
  await ensureSchemas(adapter, [...storing, ...unitTested, { relation: { schema: session.run.target.schema } } as CompiledNode]);
}

/**
 * Tests have no order among themselves: units (single tests or shared scans) run `threads` at
 * once, those of one relation one after the other while its data is in cache (the queue runs
 * ready nodes in id order, hence the numbered ids).
 */
async function runTests(runner: TestRunner, selected: string[], threads: number, reporter: Reporter, failFast: boolean): Promise<NodeResult[]> {
  const manifest = runner.manifest;
  const relationOf = (id: string) => manifest.nodes[id]!.test?.attachedNode ?? manifest.nodes[id]!.dependsOn.nodes[0] ?? '';
  const byRelation = [...selected].sort((a, b) => relationOf(a).localeCompare(relationOf(b)) || a.localeCompare(b));
  const units = new Map(runner.plan(byRelation).map((unit, index) => [`${String(index).padStart(6, '0')} ${unit.id}`, unit]));
  const dag = new Dag();
  for (const id of units.keys()) dag.addNode(id);
  let counter = 0;
  const report = (result: NodeResult) => reporter.nodeFinished(++counter, selected.length, result);
  const results = await runQueue<NodeResult[]>(dag, [...units.keys()], threads, {
    run: (id) => runner.runUnit(units.get(id)!, report),
    skip: (id) => skippedUnit(units.get(id)!, 'skipped by --fail-fast', report),
    succeeded: (unitResults) => !unitResults.some(isFailure),
  }, failFast);
  const byId = new Map([...results.values()].flat().map((r) => [r.uniqueId, r]));
  return selected.map((id) => byId.get(id)!).filter(Boolean);
}

export function skippedUnit(unit: TestUnit, message: string, report: (result: NodeResult) => void): NodeResult[] {
  const now = new Date().toISOString();
  return unit.tests.map((test) => {
    const result: NodeResult = {
      uniqueId: test.uniqueId, name: test.name, resourceType: 'test', materialization: test.test?.type === 'unit' ? 'unit' : 'test',
      status: 'skipped', executionTime: 0, startedAt: now, completedAt: now, message, warnings: [],
    };
    report(result);
    return result;
  });
}
