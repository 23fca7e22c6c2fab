import type { DuckDBConnection } from '@duckdb/node-api';

/** DuckDB's memory limit while a CSV loads alone: its buffer pool, not the process (bench/README.md, "Seeds (P3)"). */
export const LOAD_MEMORY_LIMIT = '100MB';

/**
 * Instance-wide settings for a CSV load that has the DuckDB instance to itself: one thread and
 * a small memory limit. With two threads DuckDB's ordered insert buffers out-of-order chunks,
 * and it keeps every block it writes cached: 400 to 600 MB for a 550 MB file. One thread keeps
 * file order with nothing to reorder, leaves the other core to smelt's byte check, and the limit
 * lets the written blocks go. The settings are global, so they are put back as soon as another
 * connection is acquired (its queries must not run under the limit) and when the load ends.
 */
export class LeanLoad {
  private saved: { threads: string; memoryLimit: string } | undefined;
  /** Settings changes, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Lowers the settings (when `alone`); returns whether it did. */
  enter(connection: DuckDBConnection, alone: boolean): Promise<boolean> {
    return this.serial(async () => {
      if (!alone || this.saved) return false;
      const reader = await connection.runAndReadAll(`select current_setting('threads')::varchar as t, current_setting('memory_limit') as m`);
      const [t, m] = reader.getRows()[0] as [string, string];
      this.saved = { threads: t, memoryLimit: m };
      await connection.run(`set threads = 1`);
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
      await connection.run(`set threads = ${Number(saved.threads)}`);
      // The setting reads back rounded ('18.8 GiB'): the default is reset exactly, any other value set again.
      await connection.run('reset memory_limit');
      const reader = await connection.runAndReadAll(`select current_setting('memory_limit') as m`);
      if (reader.getRows()[0]?.[0] !== saved.memoryLimit) await connection.run(`set memory_limit = '${saved.memoryLimit.replaceAll("'", "''")}'`);
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
