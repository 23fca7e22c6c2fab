import { createAdapter } from '../adapters/create-adapter.js';
import { withSqlLog } from '../adapters/sql-log.js';
import { redactor, writeRunResults } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import { planChanges, type PlannedChange } from '../state/plan-changes.js';
import type { BuildNotes } from '../materializations/materialization.js';
import { readState, recordBuild, stateSelectorMethod, writeState, type RunState } from '../state/run-state.js';
import { buildNodes, ensureSchemas } from './build-nodes.js';
import { acquireTargetLock } from '../runner/target-lock.js';
import type { CompiledNode } from '../manifest/types.js';
import { runProjectHooks } from './run-hooks.js';

export interface RunOptions {
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
  /** Build only what changed since the last successful build on this target (and what that breaks). */
  changed?: boolean;
  /** Seconds to wait for another command holding the target (default: refuse at once). */
  wait?: number;
}

/** `smelt run`: builds the selected models (never seeds or tests) in dependency order. */
export async function runTask(session: Session, options: RunOptions, reporter: Reporter): Promise<RunSummary> {
  const state = readState(session.targetPath, session.target.name);
  const { started, manifest, dag, redact, selected } = startTask(session, reporter, {
    select: options.select,
    exclude: options.exclude,
    resourceTypes: ['model'],
    extraMethods: { state: stateSelectorMethod(session.compiled.manifest, state) },
  }, { compiled: true });

  const raw = await createAdapter(session.target, session.root, session.threads);
  const adapter = reporter.debugEnabled && reporter.debug ? withSqlLog(raw, (m) => reporter.debug?.(redact(m))) : raw;
  let summary: RunSummary;
  let release: (() => Promise<void>) | undefined;
  try {
    release = await acquireTargetLock(session, adapter, {
      command: 'run',
      waitSeconds: options.wait,
      onWait: (holder) => reporter.info(`Waiting for ${holder} to finish...`),
      onStale: (holder) => reporter.warn(`Took over a stale lock left by ${holder}`),
    });
    let nodes = selected;
    let changes: PlannedChange[] | undefined;
    if (options.changed && !options.fullRefresh) {
      await adapter.open();
      changes = await planChanges(manifest, dag, selected, state, adapter, redact);
      reportPlan(changes, state, session.target.name, reporter);
      const keep = new Set(changes.map((c) => c.uniqueId));
      // Ephemeral parents of a changed model are inlined into it: keep them so ordering holds.
      nodes = selected.filter((id) => keep.has(id) || manifest.nodes[id]?.config.materialized === 'ephemeral');
    }
    const buildable = nodes.filter((id) => manifest.nodes[id]?.config.materialized !== 'ephemeral');
    if (buildable.length === 0) {
      reporter.info(options.changed ? 'Nothing to do: every selected model is up to date.' : 'Nothing to do: no models are selected.');
      summary = { command: 'run', results: [], elapsed: (performance.now() - started) / 1000, success: true };
    } else {
      await adapter.open();
      reporter.info(`Running ${buildable.length} model${buildable.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      // As dbt does: schemas first, so on-run-start hooks can write into them.
      await ensureSchemas(adapter, [...nodes.map((id) => manifest.nodes[id]!), { relation: { schema: session.run.target.schema } } as CompiledNode]);
      await runProjectHooks(session, adapter, 'on-run-start');
      let results: NodeResult[] = [];
      const notes = new Map<string, BuildNotes>();
      try {
        results = await buildNodes({ session, adapter, nodes, reporter, fullRefresh: !!options.fullRefresh, failFast: !!options.failFast, redact, ...(state ? { lastState: state } : {}), notes });
      } finally {
        await runProjectHooks(session, adapter, 'on-run-end');
      }
      summary = { command: 'run', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
      saveState(session, state, results, notes, changes);
    }
  } finally {
    await adapter.close();
    await release?.();
  }
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}

/**
 * Records every node that built successfully, so the next `--changed` run can skip it. With the
 * plan of a `--changed` run, a build is breaking (NodeState.breakingIn) as the plan says; without
 * one, when the node is new or its definition changed since its last recorded build.
 */
export function saveState(session: Session, previous: RunState | undefined, results: readonly NodeResult[], notes?: ReadonlyMap<string, BuildNotes>, plan?: readonly PlannedChange[]): void {
  const state: RunState = previous ?? { version: 1, target: session.target.name, nodes: {} };
  const generation = (state.generation ?? 0) + 1;
  state.generation = generation;
  const { manifest } = session.compiled;
  const planned = new Map(plan?.map((c) => [c.uniqueId, c]));
  const breaking = (node: CompiledNode): boolean => {
    const change = planned.get(node.uniqueId);
    // A view rebuilt because it was missing reads as it did: the plan leaves its downstream be.
    if (change?.status === 'missing' && node.config.materialized === 'view') return false;
    if (change) return change.kind === 'breaking';
    const last = state.nodes[node.uniqueId];
    return !last || last.stateChecksum !== node.stateChecksum;
  };
  const succeeded = new Set(results.filter((r) => r.status === 'success').map((r) => r.uniqueId));
  for (const id of succeeded) {
    const node = manifest.nodes[id];
    if (node) recordBuild(state, node, undefined, notes?.get(id), { generation, breaking: breaking(node), addsColumns: planned.get(id)?.addsColumns === true });
    // An ephemeral model is built inside its consumers: it is current once one of them is.
    for (const parent of manifest.parentMap[id] ?? []) {
      const ephemeral = manifest.nodes[parent];
      if (ephemeral?.config.materialized === 'ephemeral') recordBuild(state, ephemeral, undefined, undefined, { generation, breaking: breaking(ephemeral) });
    }
  }
  writeState(session.targetPath, state, redactor(session.target.secrets));
}

function reportPlan(changes: PlannedChange[], state: RunState | undefined, target: string, reporter: Reporter): void {
  if (!state) {
    reporter.info(`No earlier build on target '${target}' is recorded: building everything selected.`);
    return;
  }
  if (changes.length === 0) return;
  reporter.info(`Changes since the last build on '${target}':`);
  for (const change of changes) {
    if (change.status === 'downstream') continue;
    reporter.info(`  ${change.status.padEnd(9)} ${change.name.padEnd(32)} ${change.kind.padEnd(12)} ${change.reason}`);
  }
  const downstream = changes.filter((c) => c.status === 'downstream');
  if (downstream.length > 0) reporter.info(`  + ${downstream.length} downstream model${downstream.length === 1 ? '' : 's'} rebuilt because of breaking changes: ${downstream.map((c) => c.name).join(', ')}`);
}
