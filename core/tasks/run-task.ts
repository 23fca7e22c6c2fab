import { createAdapter } from '../adapters/create-adapter.js';
import { selectNodesDetailed } from '../graph/selector.js';
import { redactor, writeCompiled, writeManifest, writeRunResults } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { buildNodes } from './build-nodes.js';

export interface RunOptions {
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
}

/** `smelt run`: builds the selected models (never seeds or tests) in dependency order. */
export async function runTask(session: Session, options: RunOptions, reporter: Reporter): Promise<RunSummary> {
  const started = performance.now();
  const { manifest, dag } = session.compiled;
  const redact = redactor(session.target.secrets);
  writeManifest(session.targetPath, manifest, redact);
  writeCompiled(session.targetPath, manifest, redact);

  const { selected, unmatched } = selectNodesDetailed(manifest, dag, { select: options.select, exclude: options.exclude, resourceTypes: ['model'] });
  for (const selector of unmatched) reporter.warn(`Nothing matches the selector '${selector}'`);
  const nodes = selected;
  const buildable = nodes.filter((id) => manifest.nodes[id]?.config.materialized !== 'ephemeral');

  const adapter = await createAdapter(session.target, session.root, session.threads);
  let summary: RunSummary;
  try {
    if (buildable.length === 0) {
      reporter.info('Nothing to do: no models are selected.');
      summary = { command: 'run', results: [], elapsed: 0, success: true };
    } else {
      await adapter.open();
      reporter.info(`Running ${buildable.length} model${buildable.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type}) with ${session.threads} thread${session.threads === 1 ? '' : 's'}`);
      const results = await buildNodes({ session, adapter, nodes, reporter, fullRefresh: !!options.fullRefresh, failFast: !!options.failFast, redact });
      summary = { command: 'run', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
    }
  } finally {
    await adapter.close();
  }
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}
