import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, FixtureProject } from './support/project.js';

/*
 * Crash safety: a `smelt run` killed with SIGKILL at a random moment leaves every relation at
 * its previous version or at its new one (never missing, half-built or with duplicated rows),
 * and the next run finishes the job. Iterations per dialect: SMELT_CRASH_ITERATIONS (default
 * 6, bounded by SMELT_CRASH_SECONDS, default 60), so CI stays quick and a soak run can do more.
 */
const ITERATIONS = Number(process.env.SMELT_CRASH_ITERATIONS ?? 6);
const BUDGET_MS = Number(process.env.SMELT_CRASH_SECONDS ?? 60) * 1000;
const BIN = join(import.meta.dirname, '..', 'bin', 'smelt.js');
const ROWS_PER_BATCH = 2000;

const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const FILES = {
  // Batch k has ids 1..k*ROWS_PER_BATCH; every row's value is derived from the batch number.
  'models/src.sql': `select i as id, i % 10 as grp, {{ var('batch') }} * 1000 + i as value
from generate_series(1, {{ var('batch') }} * ${ROWS_PER_BATCH}) as g(i)
`,
  'models/events.sql': `{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}
select id, grp, value from {{ ref('src') }}
{% if is_incremental() %}where id > (select coalesce(max(id), 0) from {{ this }}) - ${ROWS_PER_BATCH / 2}{% endif %}
`,
  'models/summary.sql': `{{ config(materialized='table') }}
select grp, count(*) as n, sum(value) as total from {{ ref('events') }} group by grp
`,
  'models/summary_view.sql': `select grp, n from {{ ref('summary') }}
`,
};

function runAndMaybeKill(project: FixtureProject, batch: number, killAfterMs: number | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [BIN, 'run', '--vars', `{batch: ${batch}}`, '--wait', '30'], { cwd: project.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal });
  }));
}

type Summary = { grp: number; n: number; total: number };

async function relationNames(project: FixtureProject): Promise<string[]> {
  const rows = await project.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = '${project.schema}' order by 1`);
  return rows.map((r) => r.name);
}

/** Every relation is at some complete batch: events has ids 1..k*N with batch-k values (or the older values it kept), and summary matches some events. */
async function checkConsistent(project: FixtureProject, maxBatch: number): Promise<number> {
  // Killed before DuckDB created its file: nothing was built, which is consistent.
  if (project.dialect === 'duckdb' && !existsSync(join(project.dir, 'target', 'test.duckdb'))) return 0;
  const names = await relationNames(project);
  expect(names.filter((n) => n.includes('__smelt'))).toEqual([]);
  if (!names.includes('events')) return 0;
  const [stats] = await project.query<{ n: number; distinct_ids: number; max_id: number }>(`select count(*) as n, count(distinct id) as distinct_ids, max(id) as max_id from ${project.schema}.events`);
  const n = Number(stats!.n);
  expect(Number(stats!.distinct_ids)).toBe(n); // never duplicated rows
  expect(n % ROWS_PER_BATCH).toBe(0); // never half a batch
  expect(Number(stats!.max_id ?? 0)).toBe(n);
  const batch = n / ROWS_PER_BATCH;
  expect(batch).toBeLessThanOrEqual(maxBatch);
  if (names.includes('summary')) {
    const summary = await project.query<Summary>(`select grp, n, total from ${project.schema}.summary order by grp`);
    const total = summary.reduce((sum, r) => sum + Number(r.n), 0);
    expect(total % ROWS_PER_BATCH).toBe(0);
    expect(total).toBeLessThanOrEqual(n);
  }
  if (names.includes('summary')) expect(names).toContain('summary_view');
  return batch;
}

describe.each(await dialects())('crash safety on %s', (dialect) => {
  it(`survives SIGKILL at random moments (${ITERATIONS} iterations)`, async () => {
    const project = new FixtureProject(dialect, FILES);
    projects.push(project);
    const started = Date.now();
    let kills = 0;
    // Kill at a random moment of a run's life: a run lasts about as long as the last complete one.
    let runMs = 1000;
    let batch = 0;
    for (let i = 0; i < ITERATIONS && Date.now() - started < BUDGET_MS; i++) {
      batch++;
      const delay = Math.floor(Math.random() * runMs);
      const killed = await runAndMaybeKill(project, batch, delay);
      if (killed.signal === 'SIGKILL') kills++;
      await checkConsistent(project, batch);
      // The next run completes what the killed one started.
      const runStarted = Date.now();
      const finished = await runAndMaybeKill(project, batch, undefined);
      runMs = Math.max(200, Date.now() - runStarted);
      expect(finished.code).toBe(0);
      expect(await checkConsistent(project, batch)).toBe(batch);
      const summary = await project.query<Summary>(`select sum(n) as n from ${project.schema}.summary`);
      expect(Number(summary[0]!.n)).toBe(batch * ROWS_PER_BATCH);
    }
    console.log(`crash safety on ${dialect}: ${batch} batches, ${kills} runs killed mid-way, every relation consistent after each`);
    expect(batch).toBeGreaterThan(0);
    expect(kills, "no run was killed mid-way: the harness tested nothing").toBeGreaterThan(0);
  });
});
