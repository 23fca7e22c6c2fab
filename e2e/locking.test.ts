import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, FixtureProject, type DialectName } from './support/project.js';

/*
 * Two commands on the same target: the second refuses naming the holder, or waits with --wait;
 * a lock left by a dead process is taken over. The first command runs as a real child process.
 */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const BIN = join(import.meta.dirname, '..', 'bin', 'smelt.js');

/** A model that takes about two seconds on either database. */
function slowModel(dialect: DialectName): string {
  const config = "{{ config(materialized='table') }}\n";
  return config + (dialect === 'postgres' ? 'select 1 as x from (select pg_sleep(2)) as s\n' : 'select 1 as x\n');
}

function startRun(project: FixtureProject): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: project.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, done };
}

async function waitForLockFile(project: FixtureProject): Promise<void> {
  const folder = join(project.dir, 'target', 'locks');
  for (let i = 0; i < 200; i++) {
    if (existsSync(folder) && readdirSync(folder).length > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the first run never took its lock');
}

/** A live process that holds the target's lock file, as a running smelt would, for `seconds`. */
function holdLockFile(project: FixtureProject, name: string, seconds: number): { pid: number; done: Promise<number> } {
  const child = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').rmSync(${JSON.stringify(join(project.dir, 'target', 'locks', name))}, { force: true }), ${seconds * 1000})`], { stdio: 'ignore' });
  mkdirSync(join(project.dir, 'target', 'locks'), { recursive: true });
  writeFileSync(join(project.dir, 'target', 'locks', name), JSON.stringify({ pid: child.pid, host: hostname(), command: 'run', startedAt: new Date().toISOString() }));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))) };
}

describe.each(await dialects())('target lock on %s', (dialect) => {
  it('refuses a second run while another command holds the target, naming it; --wait queues behind it', async () => {
    const project = new FixtureProject(dialect, { 'models/slow.sql': slowModel(dialect), 'models/fast.sql': 'select 1 as y\n' });
    projects.push(project);
    // On PostgreSQL a real first run holds the advisory lock; on DuckDB a live process holds the lock file.
    const holder = dialect === 'postgres' ? startRun(project) : undefined;
    const file = dialect === 'duckdb' ? holdLockFile(project, 'duckdb-target_test.duckdb.lock', 2) : undefined;
    if (holder) await waitForLockFile(project);
    const pid = holder?.child.pid ?? file!.pid;
    const refused = await project.cli('run', '-s', 'fast');
    expectCleanFailure(refused, 2);
    expect(refused.stderr).toMatch(new RegExp(`is in use: smelt run \\(pid ${pid} on`));
    expect(refused.stderr).toContain('--wait');

    const waited = await project.cli('run', '-s', 'fast', '--wait', '60');
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/Waiting for smelt run \(pid \d+/);
    expect(await (holder?.done ?? file!.done)).toBe(0);
  });

  if (dialect === 'postgres') {
    it('a run stopped with Ctrl-C (SIGINT) cancels its statement on the server and leaves no lock file behind', async () => {
      const project = new FixtureProject(dialect, { 'models/slow.sql': slowModel(dialect) });
      projects.push(project);
      const holder = startRun(project);
      await waitForLockFile(project);
      holder.child.kill('SIGINT');
      await holder.done;
      expect(holder.child.signalCode).toBe('SIGINT');
      expect(readdirSync(join(project.dir, 'target', 'locks'))).toEqual([]);
      // Left running, the killed run's create table would still hold the name 'slow' on the server.
      const next = await project.cli('run', '--wait', '30');
      expect(next.code, next.stdout + next.stderr).toBe(0);
      expect(next.stderr).not.toContain('stale lock');
    });

    it('the PostgreSQL advisory lock names the holding session even without the lock file', async () => {
      const project = new FixtureProject(dialect, { 'models/slow.sql': slowModel(dialect), 'models/fast.sql': 'select 1 as y\n' });
      projects.push(project);
      const first = startRun(project);
      await waitForLockFile(project);
      // Another machine would not see this file: remove it, the database lock must still hold.
      for (const f of readdirSync(join(project.dir, 'target', 'locks'))) rmSync(join(project.dir, 'target', 'locks', f));
      await new Promise((r) => setTimeout(r, 300));
      const refused = await project.cli('run', '-s', 'fast');
      expectCleanFailure(refused, 2);
      expect(refused.stderr).toMatch(/holds its lock/);
      expect(refused.stderr).toMatch(/smelt run \(pid \d+ on .*server pid \d+/);
      expect(await first.done).toBe(0);
    });
  }

  it('takes over a lock left by a process that is gone', async () => {
    const project = new FixtureProject(dialect, { 'models/fast.sql': 'select 1 as y\n' });
    projects.push(project);
    const folder = join(project.dir, 'target', 'locks');
    mkdirSync(folder, { recursive: true });
    const name = dialect === 'duckdb' ? 'duckdb-target_test.duckdb' : `postgres-127.0.0.1-5432-test-${project.schema}`;
    writeFileSync(join(folder, `${name}.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'run', startedAt: '2026-01-01T00:00:00Z' }));
    const result = await project.cli('run');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stale lock left by smelt run \(pid 4206649/);
    expect(readdirSync(folder)).toEqual([]);
  });
});
