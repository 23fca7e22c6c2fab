import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnMeta } from '../adapters/adapter.js';
import type { BuildNotes } from '../materializations/materialization.js';
import type { CompiledNode, Manifest, RelationName } from '../manifest/types.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';

/**
 * What the last successful build of each node on a target looked like. `state:modified` and
 * `run --changed` compare the current manifest with it. Kept under target/state/<target>.json;
 * losing it is safe: everything then counts as new and is rebuilt.
 */
export interface NodeState {
  stateChecksum: string;
  materialized: string;
  relation: RelationName;
  compiledSql: string;
  /** The relation's columns right after the build, in order. */
  columns?: ColumnMeta[];
  builtAt: string;
  /** The run (RunState.generation) that last built it. */
  builtIn?: number;
  /**
   * The last run whose build of it may have changed its columns or rows for what reads it
   * (new, a breaking change, or rebuilt because of one upstream). A model built in an earlier
   * run than an ancestor's breakingIn is stale: `run --changed` rebuilds it.
   */
  breakingIn?: number;
  /** The last run whose build of it added columns: a model selecting * from it built before then lacks them. */
  widenedIn?: number;
  /** What the build noted for the next one (BuildNotes in core/materializations). */
  notes?: BuildNotes;
}

export interface RunState {
  version: 1;
  target: string;
  /** Counts the commands that saved this state; builtIn and breakingIn refer to it. */
  generation?: number;
  nodes: Record<string, NodeState>;
}

export function statePath(targetPath: string, targetName: string): string {
  return join(targetPath, 'state', `${targetName}.json`);
}

export function readState(targetPath: string, targetName: string): RunState | undefined {
  const path = statePath(targetPath, targetName);
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as RunState;
    return state.version === 1 && state.nodes ? state : undefined;
  } catch {
    return undefined; // a damaged state file only means a fuller rebuild
  }
}

/** Compiled SQL may hold secret values; they are redacted like every other file under target/. */
export function writeState(targetPath: string, state: RunState, redact: (text: string) => string = (t) => t): void {
  writeFileAtomic(statePath(targetPath, state.target), redact(JSON.stringify(state)));
}

/**
 * Records a successful build in run `generation`. `breaking`: whether what reads the node may
 * see other columns or rows than before (see NodeState.breakingIn).
 */
export function recordBuild(state: RunState, node: CompiledNode, columns: ColumnMeta[] | undefined, notes?: BuildNotes, run?: { generation: number; breaking: boolean; addsColumns?: boolean }): void {
  const previous = state.nodes[node.uniqueId];
  const breakingIn = run?.breaking ? run.generation : previous?.breakingIn;
  const widenedIn = run?.addsColumns ? run.generation : previous?.widenedIn;
  state.nodes[node.uniqueId] = {
    stateChecksum: node.stateChecksum,
    materialized: node.config.materialized,
    relation: node.relation,
    compiledSql: node.compiledSql,
    ...(columns ? { columns } : {}),
    builtAt: new Date().toISOString(),
    ...(run ? { builtIn: run.generation } : {}),
    ...(breakingIn !== undefined ? { breakingIn } : {}),
    ...(widenedIn !== undefined ? { widenedIn } : {}),
    ...(notes ? { notes } : {}),
  };
}

export type StateStatus = 'new' | 'modified' | 'unmodified';

export function stateStatus(node: CompiledNode, state: RunState | undefined): StateStatus {
  const previous = state?.nodes[node.uniqueId];
  if (!previous) return 'new';
  return previous.stateChecksum === node.stateChecksum && sameRelation(previous.relation, node.relation) ? 'unmodified' : 'modified';
}

function sameRelation(a: RelationName, b: RelationName): boolean {
  return a.schema === b.schema && a.identifier === b.identifier && (a.database ?? '') === (b.database ?? '');
}

/** The `state:` selector method: state:modified, state:new, state:unmodified, as dbt spells them. */
export function stateSelectorMethod(manifest: Manifest, state: RunState | undefined): (value: string) => Set<string> {
  return (value: string) => {
    const wanted = value === 'modified' ? ['modified', 'new'] : [value.replace(/^modified\..*$/, 'modified')];
    const ids = new Set<string>();
    for (const node of Object.values(manifest.nodes)) {
      if (wanted.includes(stateStatus(node, state))) ids.add(node.uniqueId);
    }
    return ids;
  };
}
