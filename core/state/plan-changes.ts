import { withConnection, type Adapter } from '../adapters/adapter.js';
import { createSqlParser } from '../adapters/sql-parser.js';
import type { Dag } from '../graph/dag.js';
import type { CompiledNode, Manifest } from '../manifest/types.js';
import { classifyChange, type ChangeKind } from './classify-change.js';
import { stateStatus, type RunState } from './run-state.js';

export type ChangeStatus = 'new' | 'modified' | 'missing' | 'stale' | 'widened' | 'downstream';

export interface PlannedChange {
  uniqueId: string;
  name: string;
  status: ChangeStatus;
  kind: ChangeKind;
  reason: string;
  /** Its build gains columns (a column added at the end, or widened): recorded as widenedIn. */
  addsColumns?: boolean;
}

/**
 * `run --changed`: the models whose SQL, config, macros or vars changed since their last
 * successful build on this target, the ones new or missing from the warehouse, the ones built
 * before an ancestor's last breaking build (stale: a run that failed or skipped them, or one
 * that built the ancestor alone), the models that select * from one that gained columns, and
 * everything downstream of a breaking change. Unchanged models and the rest of the downstream
 * of non-breaking changes are left as they are.
 */
export async function planChanges(manifest: Manifest, dag: Dag, candidates: readonly string[], state: RunState | undefined, adapter: Adapter, redact: (text: string) => string = (t) => t): Promise<PlannedChange[]> {
  const models = candidates.map((id) => manifest.nodes[id]).filter((n): n is CompiledNode => !!n && n.resourceType === 'model');
  const modelIds = new Set(models.map((m) => m.uniqueId));
  const existing = await existingRelations(adapter, models);
  const changes = new Map<string, PlannedChange>();
  const widened: string[] = [];
  const parser = await createSqlParser();
  try {
    for (const node of models) {
      const status = stateStatus(node, state);
      const built = node.config.materialized === 'ephemeral' || existing.has(key(node));
      if (status === 'new') {
        changes.set(node.uniqueId, { uniqueId: node.uniqueId, name: node.name, status: 'new', kind: 'breaking', reason: 'not built on this target before' });
      } else if (!built) {
        changes.set(node.uniqueId, { uniqueId: node.uniqueId, name: node.name, status: 'missing', kind: 'breaking', reason: 'its relation is not in the warehouse' });
      } else if (status === 'modified') {
        const previous = state!.nodes[node.uniqueId]!;
        const { kind, reason, addedColumns } = await classifyChange(parser, previous.compiledSql, redact(node.compiledSql));
        changes.set(node.uniqueId, { uniqueId: node.uniqueId, name: node.name, status: 'modified', kind, reason, ...(addedColumns ? { addsColumns: true } : {}) });
        if (addedColumns) widened.push(node.uniqueId);
      }
    }
    // A model that selects * from one that gained columns gains them too, but only when rebuilt
    // (a PostgreSQL view or a table keeps the columns it was built with); and so on down.
    const hasStar = async (node: CompiledNode): Promise<boolean> => {
      const ast = await parser.parse(redact(node.compiledSql));
      return !ast || JSON.stringify(ast).includes('"class":"STAR"');
    };
    // Left behind by an earlier run (it failed or was not selected): a parent that gained
    // columns after the model was last built.
    for (const node of models) {
      if (changes.has(node.uniqueId) || !state) continue;
      const built = state.nodes[node.uniqueId]?.builtIn ?? 0;
      const parent = (manifest.parentMap[node.uniqueId] ?? []).find((p) => (state.nodes[p]?.widenedIn ?? 0) > built);
      if (!parent || !(await hasStar(node))) continue;
      changes.set(node.uniqueId, { uniqueId: node.uniqueId, name: node.name, status: 'widened', kind: 'non-breaking', reason: `selects * from ${manifest.nodes[parent]?.name ?? parent}, which gained columns since`, addsColumns: true });
      widened.push(node.uniqueId);
    }
    while (widened.length > 0) {
      const parent = widened.shift()!;
      for (const child of dag.descendants(parent, 1)) {
        const node = manifest.nodes[child];
        if (!node || !modelIds.has(child) || changes.has(child)) continue;
        if (!(await hasStar(node))) continue;
        changes.set(child, { uniqueId: child, name: node.name, status: 'widened', kind: 'non-breaking', reason: `selects * from ${manifest.nodes[parent]?.name ?? parent}, which gained columns`, addsColumns: true });
        widened.push(child);
      }
    }
  } finally {
    await parser.close();
  }
  for (const [id, ancestor] of staleModels(manifest, dag, state)) {
    const node = manifest.nodes[id];
    // Stale outweighs a non-breaking change of its own: its rows are out of date either way.
    if (!node || changes.get(id)?.kind === 'breaking' || !modelIds.has(id)) continue;
    changes.set(id, { uniqueId: id, name: node.name, status: 'stale', kind: 'breaking', reason: `built before the last breaking change to ${manifest.nodes[ancestor]?.name ?? ancestor}` });
  }
  const selected = new Set(candidates);
  for (const change of [...changes.values()]) {
    if (change.kind !== 'breaking' || manifest.nodes[change.uniqueId]?.config.materialized === 'view' && change.status === 'missing') continue;
    for (const child of dag.descendants(change.uniqueId)) {
      const node = manifest.nodes[child];
      if (!node || node.resourceType !== 'model' || !selected.has(child) || changes.has(child)) continue;
      changes.set(child, { uniqueId: child, name: node.name, status: 'downstream', kind: 'breaking', reason: `downstream of a breaking change to ${change.name}` });
    }
  }
  return [...changes.values()];
}

/**
 * Nodes built in an earlier run than one of their ancestors' last breaking build (NodeState
 * breakingIn), each with that ancestor. One pass in dependency order carries, per node, the
 * latest breaking build above it.
 */
function staleModels(manifest: Manifest, dag: Dag, state: RunState | undefined): Map<string, string> {
  const stale = new Map<string, string>();
  if (!state) return stale;
  const latestAbove = new Map<string, { run: number; id: string }>();
  for (const id of dag.topologicalOrder()) {
    let latest: { run: number; id: string } | undefined;
    for (const parent of manifest.parentMap[id] ?? []) {
      const own = state.nodes[parent]?.breakingIn;
      const candidates = [latestAbove.get(parent), own !== undefined ? { run: own, id: parent } : undefined];
      for (const c of candidates) if (c && (!latest || c.run > latest.run)) latest = c;
    }
    if (!latest) continue;
    latestAbove.set(id, latest);
    const last = state.nodes[id];
    // A state written before runs were counted has no builtIn: as old as can be.
    if (last && latest.run > (last.builtIn ?? 0)) stale.set(id, latest.id);
  }
  return stale;
}

function key(node: CompiledNode): string {
  return `${node.relation.schema}.${node.relation.identifier}`.toLowerCase();
}

async function existingRelations(adapter: Adapter, nodes: CompiledNode[]): Promise<Set<string>> {
  const schemas = [...new Set(nodes.map((n) => n.relation.schema))];
  const found = new Set<string>();
  await withConnection(adapter, async (connection) => {
    for (const schema of schemas) {
      for (const relation of await adapter.listRelations(connection, schema)) found.add(`${schema}.${relation.identifier}`.toLowerCase());
    }
  });
  return found;
}
