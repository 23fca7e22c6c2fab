import type { Dag } from '../graph/dag.js';
import { selectNodesDetailed, type SelectionOptions } from '../graph/selector.js';
import type { Manifest } from '../manifest/types.js';
import { redactor, writeCompiled, writeManifest } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import type { Session } from '../session.js';

export interface TaskStart {
  /** performance.now() when the task began (for run_results' elapsed time). */
  started: number;
  manifest: Manifest;
  dag: Dag;
  redact: (text: string) => string;
  /** The selected ids, in build order. */
  selected: string[];
}

/**
 * What every command does first: write target/manifest.json (and target/compiled/ where the
 * command runs compiled SQL), select its nodes, and warn of each selector that matched nothing.
 */
export function startTask(session: Session, reporter: Reporter, selection: SelectionOptions, options: { compiled: boolean }): TaskStart {
  const started = performance.now();
  const { manifest, dag } = session.compiled;
  const redact = redactor(session.target.secrets);
  writeManifest(session.targetPath, manifest, redact);
  if (options.compiled) writeCompiled(session.targetPath, manifest, redact);
  const { selected, unmatched } = selectNodesDetailed(manifest, dag, selection);
  for (const selector of unmatched) reporter.warn(`Nothing matches the selector '${selector}'`);
  return { started, manifest, dag, redact, selected };
}
