import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Adapter } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import type { Session } from '../session.js';
import type { Reporter } from './reporter.js';

/** How long an interrupted command waits for its statements on the server to be cancelled. */
const CANCEL_WAIT_MS = 3000;

/** Two commands writing the same target at once. */
export class LockError extends SmeltError {
  override readonly kind = 'database';
}

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface TargetLockOptions {
  command: string;
  /** Seconds to wait for the other command before giving up (0: refuse at once). */
  waitSeconds?: number;
  onWait?(holder: string): void;
  onStale?(holder: string): void;
}

/**
 * Holds the target for one command that writes to it (run, seed, build, snapshot, ingest):
 * a lock file under target/locks/ (one per DuckDB file or PostgreSQL schema) that names its
 * holder and is taken over when that process is gone, plus, where the adapter has one, a lock
 * in the database itself (PostgreSQL advisory lock) that also covers other machines.
 */
export async function acquireTargetLock(session: Session, adapter: Adapter, options: TargetLockOptions): Promise<() => Promise<void>> {
  const name = lockName(session);
  const owner: LockOwner = { pid: process.pid, host: hostname(), command: options.command, startedAt: new Date().toISOString() };
  const path = join(session.targetPath, 'locks', `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.lock`);
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  let waitedFor: string | undefined;
  for (;;) {
    const held = tryLockFile(path, owner, options.onStale);
    if (held === true) break;
    if (Date.now() >= deadline) {
      throw new LockError(`Target '${session.target.name}' is in use: ${held} is writing to it`, {}, 'Wait for it to finish, or pass --wait SECONDS to queue behind it.');
    }
    if (waitedFor !== held) options.onWait?.(held);
    waitedFor = held;
    await sleep(250);
  }
  // Interrupted (Ctrl-C, kill): the statements still running on a database server are
  // cancelled (they would hold locks and names the next command needs), and the file goes with
  // the process, so the next command has no stale lock to take over. Only where nothing else
  // handles the signal (capture and dev stop on it and release the lock themselves); then the
  // signal is raised again, to end as it would have. A second Ctrl-C ends it at once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 0) return;
    const cancelled = adapter.cancelRunning?.().catch(() => undefined) ?? Promise.resolve();
    void Promise.race([cancelled, sleep(CANCEL_WAIT_MS)]).then(() => {
      releaseFile();
      process.kill(process.pid, signal);
    });
  };
  const releaseFile = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(path, { force: true });
  };
  // First in line, so the listeners of a command that stops on the signal are still there to see.
  process.prependOnceListener('SIGINT', onSignal);
  process.prependOnceListener('SIGTERM', onSignal);
  if (!adapter.tryCommandLock) return async () => releaseFile();
  try {
    for (;;) {
      const result = await adapter.tryCommandLock(name, `smelt ${options.command} (pid ${process.pid} on ${owner.host})`);
      if (result.acquired) {
        return async () => {
          await result.release();
          releaseFile();
        };
      }
      if (Date.now() >= deadline) throw new LockError(`Target '${session.target.name}' is in use: ${result.holder} holds its lock`, {}, 'Wait for it to finish, or pass --wait SECONDS to queue behind it.');
      if (waitedFor !== result.holder) options.onWait?.(result.holder);
      waitedFor = result.holder;
      await sleep(250);
    }
  } catch (error) {
    releaseFile();
    throw error;
  }
}

/** The thing being written: the DuckDB file, or the PostgreSQL database and schema. */
function lockName(session: Session): string {
  const config = session.target.config;
  return config.type === 'duckdb' ? `duckdb-${config.path}` : `postgres-${config.host}-${config.port}-${config.database}-${config.schema}`;
}

/** true when taken; otherwise a description of the live holder. A dead holder's file is taken over. */
function tryLockFile(path: string, owner: LockOwner, onStale?: (holder: string) => void): true | string {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readOwner(path);
    if (holder && isAlive(holder)) return describe(holder);
    // The holder died (or the file is unreadable): the lock is stale.
    onStale?.(holder ? describe(holder) : 'an unreadable lock file');
    rmSync(path, { force: true });
  }
  return 'another smelt process';
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // A lock from another machine (a shared folder) cannot be checked: it is taken as alive.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(owner: LockOwner): string {
  return `smelt ${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** acquireTargetLock with the usual messages, for the commands that write. */
export function lockTarget(session: Session, adapter: Adapter, command: string, reporter: Reporter, waitSeconds?: number): Promise<() => Promise<void>> {
  return acquireTargetLock(session, adapter, {
    command,
    waitSeconds,
    onWait: (holder) => reporter.info(`Waiting for ${holder} to finish...`),
    onStale: (holder) => reporter.warn(`Took over a stale lock left by ${holder}`),
  });
}
