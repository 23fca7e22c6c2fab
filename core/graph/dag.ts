import { DirectedGraph } from 'graphology';
import { DependencyError } from '../errors.js';
import { MinHeap } from './min-heap.js';

/**
 * A small directed acyclic graph of node ids with deterministic order. Edges point from a
 * parent (upstream) to a child (downstream): `seed -> model -> test`.
 */
export class Dag {
  private readonly graph = new DirectedGraph({ allowSelfLoops: true });
  /** The last topological order: compile, selection and the runner all ask for it. */
  private order: string[] | undefined;

  static fromParentMap(parentMap: Record<string, string[]>): Dag {
    const dag = new Dag();
    for (const id of Object.keys(parentMap)) dag.addNode(id);
    for (const [child, parents] of Object.entries(parentMap)) {
      for (const parent of parents) dag.addEdge(parent, child);
    }
    return dag;
  }

  addNode(id: string): void {
    this.order = undefined;
    this.graph.mergeNode(id);
  }

  addEdge(parent: string, child: string): void {
    this.order = undefined;
    this.graph.mergeNode(parent);
    this.graph.mergeNode(child);
    this.graph.mergeEdge(parent, child);
  }

  has(id: string): boolean {
    return this.graph.hasNode(id);
  }

  get nodes(): string[] {
    return this.graph.nodes();
  }

  get size(): number {
    return this.graph.order;
  }

  parents(id: string): string[] {
    return this.graph.inNeighbors(id);
  }

  children(id: string): string[] {
    return this.graph.outNeighbors(id);
  }

  /** Every node upstream of id, up to `depth` hops (Infinity for all). Excludes id. */
  ancestors(id: string, depth = Infinity): Set<string> {
    return this.walk(id, depth, (n) => this.graph.inNeighbors(n));
  }

  /** Every node downstream of id, up to `depth` hops (Infinity for all). Excludes id. */
  descendants(id: string, depth = Infinity): Set<string> {
    return this.walk(id, depth, (n) => this.graph.outNeighbors(n));
  }

  private walk(start: string, depth: number, next: (n: string) => string[]): Set<string> {
    const seen = new Set<string>();
    let frontier = [start];
    for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
      const nextFrontier: string[] = [];
      for (const node of frontier) {
        for (const neighbour of next(node)) {
          if (!seen.has(neighbour) && neighbour !== start) {
            seen.add(neighbour);
            nextFrontier.push(neighbour);
          }
        }
      }
      frontier = nextFrontier;
    }
    return seen;
  }

  /**
   * Topological order; ties are broken by id so the same project always builds in the same
   * order. Throws a DependencyError naming the whole cycle if there is one.
   */
  topologicalOrder(): string[] {
    this.order ??= this.computeOrder();
    return [...this.order];
  }

  /** True when every node can be ordered (no cycle). */
  isAcyclic(): boolean {
    try {
      this.order ??= this.computeOrder();
      return true;
    } catch (error) {
      if (error instanceof DependencyError) return false;
      throw error;
    }
  }

  private computeOrder(): string[] {
    const inDegree = new Map<string, number>();
    const ready = new MinHeap();
    for (const node of this.graph.nodes()) {
      const degree = this.graph.inDegree(node);
      inDegree.set(node, degree);
      if (degree === 0) ready.push(node);
    }
    const order: string[] = [];
    while (ready.size > 0) {
      // The smallest ready id first: the same project always builds in the same order.
      const node = ready.pop()!;
      order.push(node);
      this.graph.forEachOutNeighbor(node, (child) => {
        const d = inDegree.get(child)! - 1;
        inDegree.set(child, d);
        if (d === 0) ready.push(child);
      });
    }
    if (order.length !== this.graph.order) {
      const cycle = this.findCycle();
      throw new DependencyError(`Dependency cycle: ${cycle.join(' > ')}`, {}, 'Remove one of the refs in the chain.');
    }
    return order;
  }

  /** One cycle as a closed chain `a, b, a`; empty when the graph is acyclic. */
  findCycle(): string[] {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string): string[] | undefined => {
      state.set(node, 'open');
      stack.push(node);
      for (const child of [...this.graph.outNeighbors(node)].sort()) {
        const s = state.get(child);
        if (s === 'open') return [...stack.slice(stack.indexOf(child)), child];
        if (s === undefined) {
          const found = visit(child);
          if (found) return found;
        }
      }
      stack.pop();
      state.set(node, 'done');
      return undefined;
    };
    for (const node of [...this.graph.nodes()].sort()) {
      if (!state.has(node)) {
        const found = visit(node);
        if (found) return found;
      }
    }
    return [];
  }

  /**
   * The subgraph of `keep` with an edge wherever one kept node reaches another, directly or
   * only through nodes left out: a run of `-s "table report"` must still build the table before
   * the report that reads it through an unselected view (dbt keeps these edges too).
   */
  subgraphKeepingOrder(keep: Iterable<string>): Dag {
    const ids = new Set([...keep].filter((id) => this.has(id)));
    const sub = new Dag();
    for (const id of ids) sub.addNode(id);
    for (const id of ids) {
      const seen = new Set<string>();
      const stack = [...this.graph.outNeighbors(id)];
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        if (ids.has(next)) sub.addEdge(id, next);
        else stack.push(...this.graph.outNeighbors(next));
      }
    }
    return sub;
  }

  /** The subgraph induced by `keep` (edges between kept nodes only). */
  subgraph(keep: Iterable<string>): Dag {
    const ids = new Set(keep);
    const sub = new Dag();
    for (const id of ids) if (this.has(id)) sub.addNode(id);
    for (const id of ids) {
      if (!this.has(id)) continue;
      for (const child of this.graph.outNeighbors(id)) if (ids.has(child)) sub.addEdge(id, child);
    }
    return sub;
  }
}
