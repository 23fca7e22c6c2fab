import type { Adapter, Connection } from '../adapters/adapter.js';

const queues = new Map<string, Promise<void>>();

/** Runs fn while holding the in-process lock `key`; callers take turns in the order they asked. */
export async function withProcessLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const mine = previous.then(() => gate);
  queues.set(key, mine);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (queues.get(key) === mine) queues.delete(key);
  }
}

/**
 * One transaction on `connection` that holds the write lock `name` from its first statement to
 * its end: in this process (other connections and threads), and where the adapter can, in every
 * process (PostgreSQL's advisory locks). Two runs writing the same relation take turns, and the
 * second sees what the first committed.
 */
export async function lockedTransaction<T>(adapter: Adapter, connection: Connection, name: string, fn: () => Promise<T>): Promise<T> {
  return withProcessLock(`${adapter.type}\u0000${name}`, () =>
    connection.transaction(async () => {
      await adapter.lockForTransaction?.(connection, name);
      return fn();
    }),
  );
}
