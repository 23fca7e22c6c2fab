import type { DuckDBConnection } from '@duckdb/node-api';

/** DuckDB's memory limit while a CSV loads alone: its buffer pool, not the process (bench/README.md, "Seeds (P3)"). */
export const LOAD_MEMORY_LIMIT = '100MB';

/** Threads for a load that need not keep file order: more hold more row groups in flight (bench/README.md, P3). */
export const UNORDERED_LOAD_THREADS = 2;

/**
 * Instance-wide settings for a CSV load that has the DuckDB instance to itself, under a small
 * memory limit. With two threads and file order kept, DuckDB's ordered insert buffers chunks that
 * arrive out of order, and it keeps every block it writes cached: 400 to 600 MB for a 550 MB
 * file, and under the limit it stalls (2 to 3 times slower). So a load that keeps file order
 * runs on one thread (nothing to reorder; the other core is left to smelt's byte check), and
 * one that need not (`keepOrder: false`) runs on two threads with `preserve_insertion_order`
 * off: nothing is held back, so the limit costs no time. The limit lets written blocks go.
 * The settings are global, so they are put back as soon as another connection is acquired (its
 * queries must not run under them) and when the load ends.
 */
export class LeanLoad {
  private saved: { threads: string; memoryLimit: string; preserveOrder: string } | undefined;
  /** Settings changes, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Lowers the settings (when `alone`); returns whether it did. */
  enter(connection: DuckDBConnection, alone: boolean, options: { keepOrder: boolean } = { keepOrder: true }): Promise<boolean> {
    return this.serial(async () => {
      if (!alone || this.saved) return false;
      const reader = await connection.runAndReadAll(
        `select current_setting('threads')::varchar as t, current_setting('memory_limit') as m, current_setting('preserve_insertion_order')::varchar as p`,
      );
      const [t, m, p] = reader.getRows()[0] as [string, string, string];
      this.saved = { threads: t, memoryLimit: m, preserveOrder: p };
      const threads = options.keepOrder ? 1 : Math.min(Number(t), UNORDERED_LOAD_THREADS);
      await connection.run(`set threads = ${threads}`);
      if (!options.keepOrder) await connection.run('set preserve_insertion_order = false');
      await connection.run(`set memory_limit = '${LOAD_MEMORY_LIMIT}'`);
      return true;
    });
  }

  /** Puts the settings back, if they were lowered. */
  leave(connection: DuckDBConnection): Promise<void> {
    return this.serial(async () => {
      const saved = this.saved;
      if (!saved) return;
      this.saved = undefined;
      // Each setting on its own, one after the other: one that fails to come back must not keep
      // the others lowered. The first failure is thrown at the end.
      const steps = [
        () => connection.run(`set threads = ${Number(saved.threads)}`),
        () => connection.run(`set preserve_insertion_order = ${saved.preserveOrder === 'true'}`),
        async () => {
          // The setting reads back rounded ('18.8 GiB'): the default is reset exactly, any other value set again.
          await connection.run('reset memory_limit');
          const reader = await connection.runAndReadAll(`select current_setting('memory_limit') as m`);
          if (reader.getRows()[0]?.[0] !== saved.memoryLimit) await connection.run(`set memory_limit = '${saved.memoryLimit.replaceAll("'", "''")}'`);
        },
      ];
      let failure: unknown;
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    });
  }

  get active(): boolean {
    return this.saved !== undefined;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
