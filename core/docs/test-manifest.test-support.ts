import type { ColumnInfo, CompiledNode, Manifest, Materialization, SourceNode } from '../manifest/types.js';

/** A small hand-written manifest for docs tests: only what the docs read is filled in. */
export interface TestNode {
  name: string;
  type?: 'model' | 'seed' | 'source' | 'test' | 'snapshot';
  schema?: string;
  folder?: string;
  sql?: string;
  rawSql?: string;
  materialized?: Materialization;
  parents?: string[];
  columns?: Record<string, string>;
  description?: string;
  tags?: string[];
  extra?: Record<string, unknown>;
}

export function testManifest(entries: TestNode[], project = 'p'): Manifest {
  const nodes: Record<string, CompiledNode> = {};
  const sources: Record<string, SourceNode> = {};
  const idOf = (name: string): string => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new Error(`no test node ${name}`);
    return entry.type === 'source' ? `source.${project}.src.${name}` : `${entry.type ?? 'model'}.${project}.${name}`;
  };
  for (const entry of entries) {
    const columns: Record<string, ColumnInfo> = {};
    for (const [name, description] of Object.entries(entry.columns ?? {})) columns[name] = { name, description, tags: [], meta: {} };
    const base = {
      name: entry.name,
      packageName: project,
      description: entry.description ?? '',
      tags: entry.tags ?? [],
      columns,
      meta: {},
      relation: { schema: entry.schema ?? 's', identifier: entry.name },
    };
    if (entry.type === 'source') {
      const uniqueId = idOf(entry.name);
      sources[uniqueId] = {
        ...base, uniqueId, resourceType: 'source', sourceName: 'src', path: 'models/sources.yml', fqn: [project, 'src', entry.name],
        config: { enabled: true, tags: entry.tags ?? [], ...(entry.extra ?? {}) },
      };
      continue;
    }
    const type = entry.type ?? 'model';
    const folder = entry.folder ?? (type === 'model' ? 'staging' : '');
    const uniqueId = idOf(entry.name);
    const materialized = entry.materialized ?? (type === 'seed' ? 'seed' : type === 'test' ? 'test' : 'view');
    nodes[uniqueId] = {
      ...base,
      uniqueId,
      resourceType: type,
      path: `${type === 'seed' ? 'seeds' : type === 'test' ? 'tests' : 'models'}/${folder ? `${folder}/` : ''}${entry.name}.${type === 'seed' ? 'csv' : 'sql'}`,
      fqn: [project, ...(folder ? [folder] : []), entry.name],
      config: { materialized, enabled: true, tags: entry.tags ?? [] },
      rawSql: entry.rawSql ?? entry.sql ?? '',
      compiledSql: entry.sql ?? '',
      dependsOn: { nodes: (entry.parents ?? []).map(idOf), macros: [] },
      checksum: 'x',
      startLine: 1,
      ...(entry.extra ?? {}),
    } as unknown as CompiledNode;
  }
  const parentMap: Record<string, string[]> = {};
  for (const node of Object.values(nodes)) parentMap[node.uniqueId] = node.dependsOn.nodes;
  for (const source of Object.values(sources)) parentMap[source.uniqueId] = [];
  const childMap: Record<string, string[]> = {};
  for (const id of Object.keys(parentMap)) childMap[id] = [];
  for (const [child, parents] of Object.entries(parentMap)) for (const parent of parents) childMap[parent]?.push(child);
  return {
    metadata: { smeltVersion: 'test', generatedAt: '2024-01-01T00:00:00Z', projectName: project, targetName: 'dev', adapterType: 'duckdb', invocationId: 'i' },
    nodes,
    sources,
    macros: {},
    parentMap,
    childMap,
  };
}
