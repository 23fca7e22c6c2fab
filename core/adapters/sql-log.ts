import type { Adapter, Connection } from './adapter.js';

/**
 * Wraps an adapter so every statement its connections send is reported with its duration
 * (`--debug`). The adapter itself is untouched; only acquire() hands out logging connections.
 */
export function withSqlLog(adapter: Adapter, log: (message: string) => void): Adapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === 'acquire') {
        return async () => logging(await target.acquire(), log);
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function logging(inner: Connection, log: (message: string) => void): Connection {
  const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      log(`-- sql (${(performance.now() - started).toFixed(1)} ms)\n${sql.trim()}`);
    }
  };
  return {
    execute: (sql) => timed(sql, () => inner.execute(sql)),
    query: (sql, params) => timed(params?.length ? `${sql}\n-- params: ${JSON.stringify(params)}` : sql, () => inner.query(sql, params)),
    // BEGIN and COMMIT are sent by the connection itself: logged here so every round trip shows.
    transaction: async (fn) => {
      log('-- begin');
      const started = performance.now();
      try {
        const value = await inner.transaction(fn);
        log(`-- commit (transaction ${(performance.now() - started).toFixed(1)} ms)`);
        return value;
      } catch (error) {
        log(`-- rollback (transaction ${(performance.now() - started).toFixed(1)} ms)`);
        throw error;
      }
    },
    release: () => inner.release(),
  };
}
