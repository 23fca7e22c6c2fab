import { withConnection, type Adapter, type ColumnMeta } from '../adapters/adapter.js';
import type { RelationName } from '../manifest/types.js';

/**
 * The columns of each relation tests read, asked for once per invocation. A relation that is
 * not in the warehouse has none (undefined). In `build`, a relation is only asked for after it
 * was built, because tests run after their models.
 */
export class ColumnCache {
  private readonly cache = new Map<string, Promise<ColumnMeta[] | undefined>>();

  constructor(private readonly adapter: Adapter) {}

  columns(relation: RelationName): Promise<ColumnMeta[] | undefined> {
    const key = this.adapter.dialect.relation(relation);
    let entry = this.cache.get(key);
    if (!entry) {
      entry = withConnection(this.adapter, async (connection) => {
        if (!(await this.adapter.getRelation(connection, relation))) return undefined;
        return this.adapter.getColumns(connection, relation);
      });
      // A failed lookup is not remembered: the next test asks again.
      entry.catch(() => this.cache.delete(key));
      this.cache.set(key, entry);
    }
    return entry;
  }
}

/** How a column named in YAML matches one in the warehouse: quoted exactly, unquoted in any case. */
export function findColumn(columns: readonly ColumnMeta[], name: string): ColumnMeta | undefined {
  const quoted = /^"(.*)"$/s.exec(name);
  if (quoted) {
    const exact = quoted[1]!.replaceAll('""', '"');
    return columns.find((c) => c.name === exact);
  }
  const lower = name.toLowerCase();
  return columns.find((c) => c.name.toLowerCase() === lower);
}
