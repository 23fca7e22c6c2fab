import { withConnection, type Adapter } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { ConfigError, ErrorCollector, SmeltError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { writeRunResults } from '../runner/artifacts.js';
import { runQueue } from '../runner/queue.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import { RunHistory } from '../seeds/run-history.js';
import { seedConfigFor } from '../seeds/seed-config.js';
import { loadSeed } from '../seeds/seed-loader.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import { ensureSchemas } from './build-nodes.js';

export interface SeedOptions {
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
  /** Rows sampled before loading (tests only). */
  sampleRows?: number;
}

/**
 * `smelt seed`: loads the selected seeds' CSV files into tables, on `threads` connections. Each
 * load is recorded in the warehouse's run history and in run_results.json; a failed seed is its
 * result, not the end of the run.
 */
export async function seedTask(session: Session, options: SeedOptions, reporter: Reporter): Promise<RunSummary> {
  const { started, manifest, redact, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude, resourceTypes: ['seed'] }, { compiled: false });

  // A broken seed config is a project error: report every one before loading anything.
  checkSeedConfigs(selected.map((id) => manifest.nodes[id]!));

  const adapter = await createAdapter(session.target, session.root, session.threads);
  let results: NodeResult[] = [];
  try {
    if (selected.length === 0) {
      reporter.info('Nothing to do: no seeds are selected.');
    } else {
      await adapter.open();
      reporter.info(`Loading ${selected.length} seed${selected.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      const nodes = selected.map((id) => manifest.nodes[id]!);
      await checkSeedTypes(adapter, nodes);
      await ensureSchemas(adapter, nodes);
      const history = new RunHistory(adapter, session.target.config.schema);
      await withConnection(adapter, (connection) => history.ensure(connection));
      results = await loadAll(session, adapter, history, selected, options, reporter, redact);
    }
  } finally {
    await adapter.close();
  }
  const summary: RunSummary = { command: 'seed', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}

/** Every broken seed config at once (a project error, exit code 2), before anything loads. */
export function checkSeedConfigs(seeds: readonly CompiledNode[]): void {
  const errors = new ErrorCollector();
  for (const node of seeds) errors.attempt(() => seedConfigFor(node));
  errors.throwIfAny();
}

/**
 * The column_types smelt does not know itself, asked of the database (`cast(null as <type>)`)
 * before anything loads: a type it does not have is a config error, not a failed load.
 */
export async function checkSeedTypes(adapter: Adapter, seeds: readonly CompiledNode[]): Promise<void> {
  const uses = new Map<string, { node: CompiledNode; column: string }[]>();
  for (const node of seeds) {
    for (const [column, type] of Object.entries(seedConfigFor(node).columnTypes)) {
      if (!type.kind) uses.set(type.sql, [...(uses.get(type.sql) ?? []), { node, column }]);
    }
  }
  if (uses.size === 0) return;
  const errors = new ErrorCollector();
  await withConnection(adapter, async (connection) => {
    for (const [sql, seedsUsing] of uses) {
      try {
        await connection.query(`select cast(null as ${sql}) as probe`);
      } catch (error) {
        const said = (error instanceof Error ? error.message : String(error)).split('\n')[0];
        for (const { node, column } of seedsUsing) {
          errors.add(new ConfigError(`Seed ${node.name}: column_types.${column} is not a type ${adapter.type} has: ${sql}`, { file: node.patchPath ?? 'project.yml', node: node.uniqueId }, `${said} Use a type such as integer, bigint, numeric(12,2), date or text.`));
        }
      }
    }
  });
  errors.throwIfAny();
}

async function loadAll(session: Session, adapter: Adapter, history: RunHistory, ids: string[], options: SeedOptions, reporter: Reporter, redact: (text: string) => string): Promise<NodeResult[]> {
  const { manifest, dag } = session.compiled;
  const total = ids.length;
  const results = await runQueue<NodeResult>(dag, ids, session.threads, {
    run: async (id, index) => {
      reporter.nodeStarted?.(index, total, id);
      const result = await seedOne(session, adapter, history, manifest.nodes[id]!, options, reporter, redact);
      reporter.nodeFinished(index, total, result);
      return result;
    },
    skip: (id, index) => {
      const node = manifest.nodes[id]!;
      const now = new Date().toISOString();
      const result: NodeResult = {
        uniqueId: id, name: node.name, resourceType: 'seed', materialization: 'seed', status: 'skipped',
        executionTime: 0, startedAt: now, completedAt: now, message: 'skipped by --fail-fast', warnings: [], file: node.path,
      };
      reporter.nodeFinished(index, total, result);
      return result;
    },
    succeeded: (result) => !isFailure(result),
  }, !!options.failFast);
  return ids.map((id) => results.get(id)!).filter(Boolean);
}

/** Loads one seed (also for `smelt build`) and records it in the run history; a seed's own error is its result. */
export async function seedOne(session: Session, adapter: Adapter, history: RunHistory, node: CompiledNode, options: SeedOptions, reporter: Reporter, redact: (text: string) => string): Promise<NodeResult> {
  const started = new Date();
  const clock = performance.now();
  const base = { uniqueId: node.uniqueId, name: node.name, resourceType: 'seed', materialization: 'seed', startedAt: started.toISOString(), file: node.path };
  return withConnection(adapter, async (connection) => {
    let result: NodeResult;
    let rowsInTable: number | undefined;
    try {
      const outcome = await loadSeed({
        adapter, connection, node, root: session.root, fullRefresh: !!options.fullRefresh, history,
        ...(options.sampleRows !== undefined ? { sampleRows: options.sampleRows } : {}),
        ...(reporter.progress ? { onProgress: (bytes: number, total: number, rows: number) => reporter.progress!(node.uniqueId, node.name, rows, bytes, total) } : {}),
      });
      outcome.warnings.forEach((w) => reporter.warn(`${node.name}: ${w}`));
      rowsInTable = outcome.tableRows;
      result = {
        ...base, status: 'success', executionTime: (performance.now() - clock) / 1000, completedAt: new Date().toISOString(),
        ...(outcome.rows !== undefined ? { rowsAffected: outcome.rows } : {}),
        message: outcome.message, warnings: outcome.warnings, checksum: outcome.checksum,
      };
    } catch (error) {
      if (!(error instanceof SmeltError)) throw error;
      result = {
        ...base, status: 'error', executionTime: (performance.now() - clock) / 1000, completedAt: new Date().toISOString(),
        message: redact(error.message), where: error.where || node.path, ...(error.hint ? { hint: error.hint } : {}), warnings: [],
      };
    }
    try {
      await history.record(connection, {
        invocationId: session.run.invocationId, command: 'seed', nodeId: node.uniqueId, relation: node.relation, file: node.path,
        status: result.status === 'success' ? 'success' : 'error', message: result.message, rows: rowsInTable, checksum: result.checksum,
        startedAt: started, finishedAt: new Date(result.completedAt), ...(result.status === 'error' ? { error: `${result.where ? `${result.where}: ` : ''}${result.message}` } : {}),
      });
    } catch (error) {
      if (!(error instanceof SmeltError)) throw error;
      reporter.warn(`${node.name}: the load could not be written to the run history: ${redact(error.message)}`);
    }
    return result;
  });
}
