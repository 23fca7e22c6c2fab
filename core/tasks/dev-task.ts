import { watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import { SmeltError, SmeltErrors } from '../errors.js';
import { projectFileIn } from '../project/load-project.js';
import type { Reporter } from '../runner/reporter.js';
import type { RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { runTask } from './run-task.js';

export interface DevOptions {
  /** Loads and compiles the project afresh (each cycle sees the files as they are now). */
  openSession(): Session;
  reporter: Reporter;
  signal: AbortSignal;
  /** Quiet period after the last change before a rebuild starts. */
  debounceMs?: number;
  /** Called after every cycle (tests wait on it). */
  onCycle?(summary: RunSummary | undefined, error?: unknown): void;
}

/**
 * `smelt dev`: builds what changed since the last build, then watches the project and, on each
 * save, rebuilds the models whose SQL, config, macros or vars changed plus their downstream
 * (`state:modified+`). Compile errors are reported and the loop waits for the next save.
 */
export async function devTask(options: DevOptions): Promise<void> {
  const { reporter, signal } = options;
  let running = false;
  let again = false;
  const cycle = async (reason: string): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      reporter.info(reason);
      const session = options.openSession();
      const summary = await runTask(session, { select: ['state:modified+'] }, reporter);
      options.onCycle?.(summary);
    } catch (error) {
      if (error instanceof SmeltErrors) error.errors.forEach((e) => reporter.warn(e));
      else if (error instanceof SmeltError) reporter.warn(error);
      else throw error;
      options.onCycle?.(undefined, error);
    } finally {
      running = false;
    }
    if (again && !signal.aborted) {
      again = false;
      await cycle('Files changed during the build: building again.');
    }
  };

  const first = options.openSession();
  const root = first.root;
  const folders = watchedFolders(first);

  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const watchers: FSWatcher[] = [];
  const onChange = (folder: string) => (_event: string, file: string | Buffer | null) => {
    if (!file) return;
    const path = relative(root, join(folder, file.toString()));
    if (path.startsWith(relative(root, first.targetPath)) || /(^|\/)\./.test(path)) return;
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      void cycle(`Changed: ${files.join(', ')}`);
    }, options.debounceMs ?? 200);
  };
  for (const folder of folders) {
    try {
      watchers.push(watch(folder, { recursive: true }, onChange(folder)));
    } catch {
      // A configured folder that does not exist holds nothing to watch.
    }
  }
  // project.yml itself (vars, folder config, targets), or a dbt project's dbt_project.yml.
  watchers.push(watch(join(root, projectFileIn(root) ?? 'project.yml'), onChange(root)));
  // Watch first, then build: a save during the first build is not missed.
  await cycle(`Watching ${folders.map((f) => relative(root, f) || '.').join(', ')} (Ctrl-C to stop).`);

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearTimeout(timer);
  for (const watcher of watchers) watcher.close();
}

function watchedFolders(session: Session): string[] {
  const config = session.project.config;
  const dirs = [...config['model-paths'], ...config['macro-paths'], ...config['seed-paths'], ...config['snapshot-paths'], ...config['test-paths']];
  return [...new Set(dirs)].map((d) => join(session.root, d));
}
