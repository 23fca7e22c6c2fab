import type { Dag } from '../graph/dag.js';

export interface QueueCallbacks<R> {
  /** Builds one node; returns its result. Must not throw. */
  run(id: string, index: number): Promise<R>;
  /** Called instead of run() when an upstream node failed. */
  skip(id: string, index: number, because: string): R;
  /** Whether a finished node lets its downstream go on. */
  succeeded(result: R): boolean;
}

/**
 * A ready queue over the selected subgraph: up to `threads` nodes run at once, a node starts as
 * soon as all its selected parents succeeded, and a failure skips only what is downstream of it.
 * With failFast, the first failure skips everything not yet started.
 */
export async function runQueue<R>(dag: Dag, selected: readonly string[], threads: number, callbacks: QueueCallbacks<R>, failFast = false): Promise<Map<string, R>> {
  const sub = dag.subgraphKeepingOrder(selected);
  const order = sub.topologicalOrder();
  const position = new Map(order.map((id, i) => [id, i]));
  const waiting = new Map(order.map((id) => [id, sub.parents(id).length]));
  const results = new Map<string, R>();
  const failedUpstream = new Map<string, string>();
  const ready: string[] = order.filter((id) => waiting.get(id) === 0);
  let started = 0;
  let stopped = false;

  return new Promise((resolve, reject) => {
    let running = 0;
    const finish = (id: string, result: R): void => {
      results.set(id, result);
      const ok = callbacks.succeeded(result);
      if (!ok && failFast) stopped = true;
      for (const child of sub.children(id)) {
        if (!ok && !failedUpstream.has(child)) failedUpstream.set(child, failedUpstream.get(id) ?? id);
        const left = waiting.get(child)! - 1;
        waiting.set(child, left);
        if (left === 0) ready.push(child);
      }
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
    };
    const pump = (): void => {
      while (ready.length > 0) {
        const id = ready[0]!;
        const because = failedUpstream.get(id) ?? (stopped ? 'fail-fast' : undefined);
        if (because !== undefined) {
          ready.shift();
          finish(id, callbacks.skip(id, ++started, because));
          continue;
        }
        if (running >= threads) break;
        ready.shift();
        running++;
        const index = ++started;
        callbacks
          .run(id, index)
          .then((result) => {
            running--;
            finish(id, result);
            pump();
          })
          .catch(reject);
      }
      if (running === 0 && ready.length === 0) resolve(results);
    };
    pump();
  });
}
