import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface RetryPlan {
  command: string;
  /** Unique ids of the nodes that failed or were skipped last time. */
  nodes: string[];
}

/** What `smelt retry` reruns: the failed and skipped nodes of the last run_results.json. */
export function retryPlan(targetPath: string): RetryPlan {
  const path = join(targetPath, 'run_results.json');
  if (!existsSync(path)) throw new UsageError('Nothing to retry: target/run_results.json does not exist', {}, 'Run a command first (smelt run, build, seed or test).');
  let document: { command?: string; results?: { uniqueId: string; status: string }[] };
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError('Nothing to retry: target/run_results.json cannot be read', {}, 'Run the command again instead.');
  }
  const nodes = (document.results ?? []).filter((r) => ['error', 'fail', 'skipped'].includes(r.status)).map((r) => r.uniqueId);
  return { command: document.command ?? 'run', nodes };
}
