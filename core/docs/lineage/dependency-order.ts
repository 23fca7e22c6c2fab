import { Dag } from '../../graph/dag.js';

/**
 * The order `Dag.topologicalOrder()` gives (Kahn's algorithm, the smallest ready id first, so
 * the order is unique), without building a graphology graph: on 10,000 nodes that costs a
 * tenth of a second the docs can do without. A cycle falls back to Dag, for its error.
 */
export function dependencyOrder(parentMap: Record<string, string[]>): string[] {
  const children = new Map<string, string[]>();
  const inDegree = new Map<string, number>();
  for (const id of Object.keys(parentMap)) inDegree.set(id, 0);
  for (const [child, parents] of Object.entries(parentMap)) {
    // A parent listed twice is one edge, as in the graph.
    for (const parent of new Set(parents)) {
      if (!inDegree.has(parent)) inDegree.set(parent, 0);
      inDegree.set(child, inDegree.get(child)! + 1);
      const list = children.get(parent);
      if (list) list.push(child);
      else children.set(parent, [child]);
    }
  }
  const ready: string[] = [];
  for (const [id, degree] of inDegree) if (degree === 0) push(ready, id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = pop(ready);
    order.push(id);
    for (const child of children.get(id) ?? []) {
      const degree = inDegree.get(child)! - 1;
      inDegree.set(child, degree);
      if (degree === 0) push(ready, child);
    }
  }
  return order.length === inDegree.size ? order : Dag.fromParentMap(parentMap).topologicalOrder();
}

function push(heap: string[], value: string): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= heap[i]!) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function pop(heap: string[]): string {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && heap[l]! < heap[smallest]!) smallest = l;
      if (r < heap.length && heap[r]! < heap[smallest]!) smallest = r;
      if (smallest === i) break;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
  return top;
}
