import { afterAll, describe, expect, it } from 'vitest';
import { silentReporter } from '../core/runner/reporter.js';
import type { RunSummary } from '../core/runner/results.js';
import { openSession } from '../core/session.js';
import { devTask } from '../core/tasks/dev-task.js';
import { dialects, FixtureProject } from './support/project.js';

/* `smelt dev`: the first cycle builds everything, a save rebuilds what changed and its downstream. */
const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

describe.each(await dialects())('smelt dev on %s', (dialect) => {
  it("rebuilds the saved model and its downstream, and survives a broken save", async () => {
    const project = new FixtureProject(dialect, {
      'models/a.sql': 'select 1 as id\n',
      'models/b.sql': "select id from {{ ref('a') }}\n",
      'models/other.sql': 'select 2 as id\n',
    });
    projects.push(project);
    const cycles: { summary?: RunSummary; error?: unknown }[] = [];
    let notify: () => void = () => undefined;
    const next = () => new Promise<void>((resolve) => (notify = resolve));
    const controller = new AbortController();
    let waiting = next();
    const done = devTask({
      openSession: () => openSession({ projectDir: project.dir, env: { ...process.env } }),
      reporter: silentReporter,
      signal: controller.signal,
      debounceMs: 50,
      onCycle: (summary, error) => {
        cycles.push({ summary, error });
        notify();
      },
    });
    await waiting;
    expect(cycles[0]!.summary!.results.map((r) => r.name).sort()).toEqual(['a', 'b', 'other']);

    waiting = next();
    project.write({ 'models/a.sql': 'select 1 as id, 2 as two\n' });
    await waiting;
    expect(cycles[1]!.summary!.results.map((r) => r.name).sort()).toEqual(['a', 'b']);

    waiting = next();
    project.write({ 'models/b.sql': "select id from {{ ref('nope') }}\n" });
    await waiting;
    expect(cycles[2]!.error).toBeDefined();

    waiting = next();
    project.write({ 'models/b.sql': "select id, 'fixed' as note from {{ ref('a') }}\n" });
    await waiting;
    expect(cycles[3]!.summary!.results.map((r) => r.name)).toEqual(['b']);
    controller.abort();
    await done;
  });
});
