import type { Reporter } from '../runner/reporter.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';

export interface CompileTaskResult {
  models: number;
  seeds: number;
  sources: number;
  macros: number;
  selected: string[];
}

/** `smelt compile`: renders every node, writes target/manifest.json and target/compiled/. No database. */
export function compileTask(session: Session, options: { select?: string[]; exclude?: string[] }, reporter: Reporter): CompileTaskResult {
  const { manifest, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude }, { compiled: true });
  const nodes = Object.values(manifest.nodes);
  return {
    models: nodes.filter((n) => n.resourceType === 'model').length,
    seeds: nodes.filter((n) => n.resourceType === 'seed').length,
    sources: Object.keys(manifest.sources).length,
    macros: Object.keys(manifest.macros).length,
    selected,
  };
}
