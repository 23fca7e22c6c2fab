import { createAdapter } from '../adapters/create-adapter.js';
import { lockTarget } from '../runner/target-lock.js';
import { withSqlLog } from '../adapters/sql-log.js';
import { writeRunResults } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import { buildNodes, ensureSchemas } from './build-nodes.js';

export interface SnapshotOptions {
  select?: string[];
  exclude?: string[];
  failFast?: boolean;
}

/**
 * `smelt snapshot`: takes the selected snapshots (dbt's type-2 history of a query) in dependency
 * order. Each snapshot step is one transaction under a lock on its table (see
 * core/materializations/snapshot.ts), so runs at the same time never duplicate current rows.
 */
export async function snapshotTask(session: Session, options: SnapshotOptions, reporter: Reporter): Promise<RunSummary> {
  const { started, manifest, redact, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude, resourceTypes: ['snapshot'] }, { compiled: true });

  let results: NodeResult[] = [];
  if (selected.length === 0) {
    reporter.info('Nothing to do: no snapshots are selected.');
  } else {
    const raw = await createAdapter(session.target, session.root, session.threads);
    const adapter = reporter.debugEnabled && reporter.debug ? withSqlLog(raw, (m) => reporter.debug?.(redact(m))) : raw;
    const release = await lockTarget(session, adapter, 'snapshot', reporter, (options as { wait?: number }).wait);
    try {
      await adapter.open();
      reporter.info(`Taking ${selected.length} snapshot${selected.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      await ensureSchemas(adapter, selected.map((id) => manifest.nodes[id]!));
      results = await buildNodes({ session, adapter, nodes: selected, reporter, fullRefresh: false, failFast: !!options.failFast, redact });
    } finally {
      await adapter.close();
      await release();
    }
  }
  const summary: RunSummary = { command: 'snapshot', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}
