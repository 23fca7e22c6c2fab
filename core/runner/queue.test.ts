import { describe, expect, it } from 'vitest';
import { Dag } from '../graph/dag.js';
import { runQueue } from './queue.js';

type Result = { id: string; ok: boolean; skippedBecause?: string };

/** Runs the queue with nodes that take `ms` each and fail when listed in `failing`; records what ran when. */
async function simulate(dag: Dag, selected: string[], threads: number, options: { failing?: string[]; ms?: number; failFast?: boolean } = {}) {
  const events: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const results = await runQueue<Result>(dag, selected, threads, {
    run: async (id) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      events.push(`start ${id}`);
      await new Promise((resolve) => setTimeout(resolve, options.ms ?? 5));
      events.push(`end ${id}`);
      running--;
      return { id, ok: !options.failing?.includes(id) };
    },
    skip: (id, _index, because) => {
      events.push(`skip ${id}`);
      return { id, ok: false, skippedBecause: because };
    },
    succeeded: (result) => result.ok,
  }, options.failFast);
  return { events, maxRunning, results };
}

const before = (events: string[], a: string, b: string) => events.indexOf(a) < events.indexOf(b);

describe('runQueue', () => {
  //  a -> b -> d
  //  a -> c -> d      e (alone)
  const dag = Dag.fromParentMap({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] });

  it('starts a node only after its parents finished, and never more than `threads` at once', async () => {
    const { events, maxRunning } = await simulate(dag, ['a', 'b', 'c', 'd', 'e'], 2);
    expect(maxRunning).toBe(2);
    expect(before(events, 'end a', 'start b')).toBe(true);
    expect(before(events, 'end b', 'start d') && before(events, 'end c', 'start d')).toBe(true);
    const serial = await simulate(dag, ['a', 'b', 'c', 'd', 'e'], 1);
    expect(serial.maxRunning).toBe(1);
  });

  it('runs independent nodes together', async () => {
    const { maxRunning } = await simulate(Dag.fromParentMap({ p: [], q: [], r: [], s: [] }), ['p', 'q', 'r', 's'], 8);
    expect(maxRunning).toBe(4);
  });

  it('skips what is downstream of a failure, naming the failed node, and runs the rest', async () => {
    const { results } = await simulate(dag, ['a', 'b', 'c', 'd', 'e'], 2, { failing: ['b'] });
    expect(results.get('d')).toEqual({ id: 'd', ok: false, skippedBecause: 'b' });
    expect(results.get('c')!.ok).toBe(true);
    expect(results.get('e')!.ok).toBe(true);
  });

  it('with failFast, skips everything not yet started', async () => {
    const chain = Dag.fromParentMap({ a: [], b: ['a'], x: [], y: ['x'] });
    const { results } = await simulate(chain, ['a', 'b', 'x', 'y'], 1, { failing: ['a'], failFast: true });
    expect(results.get('b')!.skippedBecause).toBe('a');
    expect([...results.values()].filter((r) => r.ok)).toEqual([]);
  });

  it('keeps the order of selected nodes that depend on each other through unselected ones', async () => {
    // table -> (view, not selected) -> report: report must still wait for table.
    const through = Dag.fromParentMap({ table: [], view: ['table'], report: ['view'] });
    const { events } = await simulate(through, ['table', 'report'], 4, { ms: 10 });
    expect(events).toEqual(['start table', 'end table', 'start report', 'end report']);
    const failed = await simulate(through, ['table', 'report'], 4, { failing: ['table'] });
    expect(failed.results.get('report')!.skippedBecause).toBe('table');
  });
});
