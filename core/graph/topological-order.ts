import { Dag } from './dag.js';
import { MinHeap } from './min-heap.js';

/**
 * The order `Dag.topologicalOrder()` gives (Kahn's algorithm, the smallest ready id first, so
 * the order is unique), from a parent map without building a graphology graph: on 10,000 nodes
 * that costs a tenth of a second a caller that needs only the order can do without. A cycle
 * falls back to Dag, for its error.
 */
export function topologicalOrderOf(parentMap: Record<string, string[]>): string[] {
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
  const ready = new MinHeap();
  for (const [id, degree] of inDegree) if (degree === 0) ready.push(id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop()!;
    order.push(id);
    for (const child of children.get(id) ?? []) {
      const degree = inDegree.get(child)! - 1;
      inDegree.set(child, degree);
      if (degree === 0) ready.push(child);
    }
  }
  return order.length === inDegree.size ? order : Dag.fromParentMap(parentMap).topologicalOrder();
}
