import { withConnection } from '../adapters/adapter.js';
import { Dag } from '../graph/dag.js';
import type { CompiledNode, Manifest } from '../manifest/types.js';
import { writeRunResults } from '../runner/artifacts.js';
import { runQueue } from '../runner/queue.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import { RunHistory } from '../seeds/run-history.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import type { BuildNotes } from '../materializations/materialization.js';
import { readState } from '../state/run-state.js';
import type { TestUnit } from '../testing/run-test.js';
import { buildOne, ensureSchemas } from './build-nodes.js';
import { runProjectHooks } from './run-hooks.js';
import { saveState } from './run-task.js';
import { lockTarget } from '../runner/target-lock.js';
import { cdcSourcesOf, ingestSources } from './ingest-task.js';
import { checkSeedConfigs, checkSeedTypes, seedOne } from './seed-task.js';
import { openAdapter, prepareTests, skippedUnit, testRunner, type TestOptions } from './test-task.js';

export interface BuildOptions extends TestOptions {
  fullRefresh?: boolean;
}

/** One entry of the build queue: a seed, model or snapshot, or a unit of tests (one, or several sharing a scan). */
type BuildItem = { kind: 'node'; node: CompiledNode } | { kind: 'tests'; unit: TestUnit };

/**
 * `smelt build`: seeds, models, snapshots and tests in one DAG, as dbt's build. A node's data
 * tests run right after it and gate its downstream: a failing error-severity test skips
 * everything below the node it tests (a warning does not). A model's unit tests run before
 * the model, and a failing one skips it.
 */
export async function buildTask(session: Session, options: BuildOptions, reporter: Reporter): Promise<RunSummary> {
  const { started, manifest, redact, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude, resourceTypes: ['seed', 'model', 'snapshot', 'test'] }, { compiled: true });
  const nodes = selected.map((id) => manifest.nodes[id]!);
  const isEphemeral = (node: CompiledNode) => node.config.materialized === 'ephemeral';
  const reported = nodes.filter((n) => !isEphemeral(n));

  let summary: RunSummary;
  if (reported.length === 0) {
    reporter.info('Nothing to do: nothing is selected.');
    summary = { command: 'build', results: [], elapsed: (performance.now() - started) / 1000, success: true };
  } else {
    let release: (() => Promise<void>) | undefined;
    const adapter = await openAdapter(session, reporter, redact, async (unopened) => {
      release = await lockTarget(session, unopened, 'build', reporter, (options as { wait?: number }).wait);
    });
    try {
      reporter.info(`Building ${describeCounts(reported)} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      const tests = nodes.filter((n) => n.resourceType === 'test');
      const buildable = nodes.filter((n) => n.resourceType !== 'test');
      const seeds = buildable.filter((n) => n.resourceType === 'seed');
      checkSeedConfigs(seeds);
      await ensureSchemas(adapter, buildable);
      await prepareTests(session, adapter, tests, options);
      const history = new RunHistory(adapter, session.target.config.schema);
      if (seeds.length > 0) await withConnection(adapter, (connection) => history.ensure(connection));
      const runner = testRunner(session, adapter, redact, options);
      const plan = buildPlan(manifest, session.compiled.dag, buildable, runner.plan(tests.map((t) => t.uniqueId)));

      let counter = 0;
      const report = (result: NodeResult) => reporter.nodeFinished(++counter, reported.length, result);
      const failedTest = new Map<string, string>();
      const lastState = readState(session.targetPath, session.target.name);
      const notes = new Map<string, BuildNotes>();
      const nodeOptions = { session, adapter, nodes: [], reporter, fullRefresh: !!options.fullRefresh, failFast: !!options.failFast, redact, ...(lastState ? { lastState } : {}), notes };
      await runProjectHooks(session, adapter, 'on-run-start');
      // After on-run-start, which may create a type a seed uses (an extension, an enum).
      await checkSeedTypes(adapter, seeds);
      // The change logs of CDC sources the selected models read are loaded first (core/cdc).
      const ingested = await ingestSources(session, adapter, cdcSourcesOf(session, buildable), reporter, redact);
      let results = new Map<string, NodeResult[]>();
      try {
        results = await runQueue<NodeResult[]>(plan.dag, plan.order, session.threads, {
          run: async (id) => {
            const item = plan.items.get(id)!;
            if (item.kind === 'tests') {
              const unitResults = await runner.runUnit(item.unit, report);
              const failed = unitResults.find(isFailure);
              if (failed) failedTest.set(id, `test ${failed.name}`);
              return unitResults;
            }
            const { node } = item;
            if (isEphemeral(node)) return [passThrough(node)];
            reporter.nodeStarted?.(counter + 1, reported.length, id);
            const result = node.resourceType === 'seed'
              ? await seedOne(session, adapter, history, node, { fullRefresh: !!options.fullRefresh }, reporter, redact)
              : await buildOne(nodeOptions, node);
            report(result);
            return [result];
          },
          skip: (id, _index, because) => {
            const message = because === 'fail-fast' ? 'skipped by --fail-fast' : `skipped because ${failedTest.get(because) ?? manifest.nodes[because]?.name ?? because} failed`;
            const item = plan.items.get(id)!;
            if (item.kind === 'tests') return skippedUnit(item.unit, message, report);
            if (isEphemeral(item.node)) return [{ ...passThrough(item.node), status: 'skipped' }];
            const now = new Date().toISOString();
            const result: NodeResult = {
              uniqueId: id, name: item.node.name, resourceType: item.node.resourceType, materialization: item.node.config.materialized,
              status: 'skipped', executionTime: 0, startedAt: now, completedAt: now, message, warnings: [],
            };
            report(result);
            return [result];
          },
          succeeded: (itemResults) => !itemResults.some((r) => isFailure(r) || r.status === 'skipped'),
        }, !!options.failFast);
      } finally {
        session.compiled.templates.saveRunTimeCode();
        await runProjectHooks(session, adapter, 'on-run-end');
      }
      const byId = new Map([...results.values()].flat().map((r) => [r.uniqueId, r]));
      const ordered = reported.map((n) => byId.get(n.uniqueId)).filter((r): r is NodeResult => r !== undefined);
      summary = { command: 'build', results: [...ingested, ...ordered], elapsed: (performance.now() - started) / 1000, success: ![...ingested, ...ordered].some(isFailure) };
      saveState(session, lastState, ordered, notes);
    } finally {
      await adapter.close();
      await release?.();
    }
  }
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}

export interface BuildPlan {
  dag: Dag;
  items: Map<string, BuildItem>;
  /** Item ids to run (the queue orders them). */
  order: string[];
}

/**
 * The build graph. Starts from the project's DAG without tests (so selected nodes keep their
 * order through unselected ones), then adds each unit of tests:
 * - data tests after the nodes they read, and before every selected node downstream of all of
 *   those (dbt's rule), so a failing test skips what is built on the data it rejected;
 * - unit tests after the model's inputs and before the model.
 */
export function buildPlan(manifest: Manifest, projectDag: Dag, buildable: readonly CompiledNode[], units: readonly TestUnit[]): BuildPlan {
  const dag = new Dag();
  const items = new Map<string, BuildItem>();
  for (const [child, parents] of Object.entries(manifest.parentMap)) {
    if (manifest.nodes[child]?.resourceType === 'test') continue;
    dag.addNode(child);
    for (const parent of parents) dag.addEdge(parent, child);
  }
  for (const node of buildable) items.set(node.uniqueId, { kind: 'node', node });
  const selected = new Set(buildable.map((n) => n.uniqueId));
  const ancestorsOf = new Map<string, Set<string>>();
  const ancestors = (id: string) => ancestorsOf.get(id) ?? ancestorsOf.set(id, projectDag.ancestors(id)).get(id)!;
  for (const unit of units) {
    items.set(unit.id, { kind: 'tests', unit });
    dag.addNode(unit.id);
    const first = unit.tests[0]!;
    if (first.test?.type === 'unit') {
      const model = first.test.attachedNode!;
      for (const parent of manifest.parentMap[model] ?? []) dag.addEdge(parent, unit.id);
      dag.addEdge(unit.id, model);
      continue;
    }
    const parents = [...new Set(unit.tests.flatMap((t) => t.dependsOn.nodes))];
    for (const parent of parents) dag.addEdge(parent, unit.id);
    const [anchor, ...others] = parents;
    if (anchor === undefined || !projectDag.has(anchor)) continue;
    for (const candidate of projectDag.descendants(anchor)) {
      if (!selected.has(candidate) || parents.includes(candidate)) continue;
      if (others.every((p) => ancestors(candidate).has(p))) dag.addEdge(unit.id, candidate);
    }
  }
  return { dag, items, order: [...items.keys()] };
}

function passThrough(node: CompiledNode): NodeResult {
  const now = new Date().toISOString();
  return { uniqueId: node.uniqueId, name: node.name, resourceType: node.resourceType, materialization: 'ephemeral', status: 'success', executionTime: 0, startedAt: now, completedAt: now, warnings: [] };
}

function describeCounts(nodes: readonly CompiledNode[]): string {
  const count = (type: string) => nodes.filter((n) => n.resourceType === type).length;
  const parts = (['seed', 'model', 'snapshot', 'test'] as const).filter((t) => count(t) > 0).map((t) => `${count(t)} ${t}${count(t) === 1 ? '' : 's'}`);
  return parts.join(', ');
}
