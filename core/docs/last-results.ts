import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A node's outcome in the last invocation, as shown in the docs. */
export interface LastResult {
  status: string;
  message?: string;
  executionTime?: number;
  completedAt?: string;
  rowsAffected?: number;
  failures?: number;
  where?: string;
}

export interface LastResults {
  run: { command: string; generatedAt: string; elapsed?: number };
  byNode: Map<string, LastResult>;
}

/**
 * Reads target/run_results.json when there is one. A missing or unreadable file means "never
 * ran", not an error: the docs work before the first build.
 */
export function readLastResults(targetPath: string): LastResults | undefined {
  const path = join(targetPath, 'run_results.json');
  if (!existsSync(path)) return undefined;
  let document: { command?: string; elapsedTime?: number; metadata?: { generatedAt?: string }; results?: unknown[] };
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const byNode = new Map<string, LastResult>();
  for (const raw of document.results ?? []) {
    const r = raw as Record<string, unknown>;
    const id = (r.uniqueId ?? r.unique_id) as string | undefined;
    if (typeof id !== 'string' || typeof r.status !== 'string') continue;
    byNode.set(id, {
      status: r.status,
      ...(typeof r.message === 'string' ? { message: r.message } : {}),
      ...(typeof r.executionTime === 'number' ? { executionTime: r.executionTime } : {}),
      ...(typeof r.completedAt === 'string' ? { completedAt: r.completedAt } : {}),
      ...(typeof r.rowsAffected === 'number' ? { rowsAffected: r.rowsAffected } : {}),
      ...(typeof r.failures === 'number' ? { failures: r.failures } : {}),
      ...(typeof r.where === 'string' ? { where: r.where } : {}),
    });
  }
  return {
    run: { command: document.command ?? 'run', generatedAt: document.metadata?.generatedAt ?? '', ...(typeof document.elapsedTime === 'number' ? { elapsed: document.elapsedTime } : {}) },
    byNode,
  };
}
