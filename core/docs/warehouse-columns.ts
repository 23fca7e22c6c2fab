import { withConnection, type Adapter, type ColumnMeta } from '../adapters/adapter.js';
import type { Manifest, RelationName } from '../manifest/types.js';

/**
 * Column names and types of every built relation (models, seeds, snapshots, sources), read
 * through the adapter. Relations that do not exist yet are skipped: one listing per schema
 * finds them, so an unbuilt project costs a handful of queries, not one per node.
 */
export async function readWarehouseColumns(adapter: Adapter, manifest: Manifest): Promise<Record<string, ColumnMeta[]>> {
  const wanted: { id: string; relation: RelationName }[] = [];
  for (const node of Object.values(manifest.nodes)) {
    if (node.resourceType === 'test' || node.config.materialized === 'ephemeral') continue;
    wanted.push({ id: node.uniqueId, relation: node.relation });
  }
  for (const source of Object.values(manifest.sources)) wanted.push({ id: source.uniqueId, relation: source.relation });

  const columns: Record<string, ColumnMeta[]> = {};
  await withConnection(adapter, async (connection) => {
    const existing = new Map<string, Set<string>>();
    for (const schema of new Set(wanted.map((w) => w.relation.schema))) {
      const relations = await adapter.listRelations(connection, schema);
      existing.set(schema, new Set(relations.map((r) => r.identifier.toLowerCase())));
    }
    for (const { id, relation } of wanted) {
      if (!existing.get(relation.schema)?.has(relation.identifier.toLowerCase())) continue;
      const found = await adapter.getColumns(connection, relation);
      if (found.length > 0) columns[id] = found;
    }
  });
  return columns;
}
