import { selectNodesDetailed } from '../graph/selector.js';
import { redactor, writeCompiled, writeManifest } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import type { Session } from '../session.js';

export interface CompileTaskResult {
  models: number;
  seeds: number;
  sources: number;
  macros: number;
  selected: string[];
}

/** `smelt compile`: renders every node, writes target/manifest.json and target/compiled/. No database. */
export function compileTask(session: Session, options: { select?: string[]; exclude?: string[] }, reporter: Reporter): CompileTaskResult {
  const { manifest, dag } = session.compiled;
  const redact = redactor(session.target.secrets);
  writeManifest(session.targetPath, manifest, redact);
  writeCompiled(session.targetPath, manifest, redact);
  const { selected, unmatched } = selectNodesDetailed(manifest, dag, { select: options.select, exclude: options.exclude });
  for (const selector of unmatched) reporter.warn(`Nothing matches the selector '${selector}'`);
  const nodes = Object.values(manifest.nodes);
  return {
    models: nodes.filter((n) => n.resourceType === 'model').length,
    seeds: nodes.filter((n) => n.resourceType === 'seed').length,
    sources: Object.keys(manifest.sources).length,
    macros: Object.keys(manifest.macros).length,
    selected,
  };
}
