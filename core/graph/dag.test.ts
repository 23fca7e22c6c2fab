import { describe, expect, it } from 'vitest';
import { DependencyError } from '../errors.js';
import { Dag } from './dag.js';

describe('Dag', () => {
  // a -> b -> d, a -> c -> d, e alone
  const dag = Dag.fromParentMap({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] });

  it('orders parents before children, ties by id', () => {
    expect(dag.topologicalOrder()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(Dag.fromParentMap({ z: [], y: ['z'], x: [] }).topologicalOrder()).toEqual(['x', 'z', 'y']);
  });

  it('walks ancestors and descendants, optionally limited in depth', () => {
    expect([...dag.ancestors('d')].sort()).toEqual(['a', 'b', 'c']);
    expect([...dag.ancestors('d', 1)].sort()).toEqual(['b', 'c']);
    expect([...dag.descendants('a')].sort()).toEqual(['b', 'c', 'd']);
    expect([...dag.descendants('e')]).toEqual([]);
  });

  it('keeps only edges between kept nodes in a subgraph', () => {
    const sub = dag.subgraph(['a', 'd', 'e']);
    expect(sub.nodes.sort()).toEqual(['a', 'd', 'e']);
    expect(sub.parents('d')).toEqual([]);
  });

  it('keeps the order through left-out nodes when asked to', () => {
    const chain = Dag.fromParentMap({ a: [], b: ['a'], c: ['b'], d: ['c'], x: [] });
    expect(chain.subgraph(['a', 'd']).parents('d')).toEqual([]);
    const kept = chain.subgraphKeepingOrder(['a', 'd', 'x', 'missing']);
    expect(kept.nodes.sort()).toEqual(['a', 'd', 'x']);
    expect(kept.parents('d')).toEqual(['a']);
    expect(dag.subgraphKeepingOrder(['a', 'd']).parents('d')).toEqual(['a']);
    expect(dag.subgraphKeepingOrder(['b', 'c', 'd']).topologicalOrder()).toEqual(['b', 'c', 'd']);
  });

  it('finds no cycle in an acyclic graph', () => {
    expect(dag.findCycle()).toEqual([]);
  });
});

describe('Dag cycles', () => {
  it('names the whole chain, closed on its first node', () => {
    const dag = Dag.fromParentMap({ a: ['c'], b: ['a'], c: ['b'], x: [] });
    expect(dag.findCycle()).toEqual(['a', 'b', 'c', 'a']);
    const error = catchError(() => dag.topologicalOrder());
    expect(error).toBeInstanceOf(DependencyError);
    expect(error.message).toBe('Dependency cycle: a > b > c > a');
  });

  it('finds a two-node cycle and a self-reference', () => {
    expect(Dag.fromParentMap({ a: ['b'], b: ['a'] }).findCycle()).toEqual(['a', 'b', 'a']);
    expect(Dag.fromParentMap({ a: ['a'] }).findCycle()).toEqual(['a', 'a']);
  });

  it('finds a cycle that hangs below an acyclic part', () => {
    const dag = Dag.fromParentMap({ root: [], m1: ['root', 'm3'], m2: ['m1'], m3: ['m2'] });
    expect(dag.findCycle()).toEqual(['m1', 'm2', 'm3', 'm1']);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
