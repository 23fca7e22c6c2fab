import type { Adapter, Connection, RelationInfo, RelationType } from '../adapters/adapter.js';
import type { RelationName } from '../manifest/types.js';

/**
 * What exists in the warehouse, as dbt's adapter cache keeps it: each schema is listed once
 * (one query), before the run's first node (prefetch) or the first time a relation in it is
 * looked up, then answered from memory and kept up to date as nodes are built. Saves an
 * introspection query per node.
 */
export class RelationCache {
  private readonly schemas = new Map<string, Promise<Map<string, RelationInfo>>>();

  constructor(private readonly adapter: Adapter) {}

  async get(connection: Connection, relation: RelationName): Promise<RelationInfo | undefined> {
    const relations = await this.schema(connection, relation);
    return relations.get(relation.identifier.toLowerCase());
  }

  /**
   * Lists every schema of `relations` now, as dbt populates its cache before the first node
   * runs; a listing that fails is left for the node that needs it (and reports it).
   */
  async prefetch(connection: Connection, relations: readonly RelationName[]): Promise<void> {
    const seen = new Set<string>();
    for (const relation of relations) {
      if (seen.has(key(relation))) continue;
      seen.add(key(relation));
      await this.schema(connection, relation).catch(() => undefined);
    }
  }

  /** Records what a successful build left behind. */
  async set(connection: Connection, relation: RelationName, type: RelationType): Promise<void> {
    (await this.schema(connection, relation)).set(relation.identifier.toLowerCase(), { ...relation, type });
  }

  /** Forgets a schema, e.g. after an unexpected error, so the next lookup asks the database. */
  invalidate(relation: RelationName): void {
    this.schemas.delete(key(relation));
  }

  private schema(connection: Connection, relation: RelationName): Promise<Map<string, RelationInfo>> {
    let entry = this.schemas.get(key(relation));
    if (!entry) {
      entry = this.adapter.listRelations(connection, relation.schema).then((list) => new Map(list.map((r) => [r.identifier.toLowerCase(), r])));
      this.schemas.set(key(relation), entry);
      entry.catch(() => this.schemas.delete(key(relation)));
    }
    return entry;
  }
}

function key(relation: RelationName): string {
  return `${relation.database ?? ''}.${relation.schema}`.toLowerCase();
}
