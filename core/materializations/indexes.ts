import type { Capabilities } from '../adapters/adapter.js';
import type { Dialect } from '../adapters/dialect.js';
import { ConfigError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { sha256 } from '../util/hash.js';

interface IndexSpec {
  columns: string[];
  unique: boolean;
}

/**
 * CREATE INDEX statements for a freshly built table: dbt's `indexes` config
 * (`[{columns: [a, b], unique: true}]`), plus, where the adapter asks for it, one on an
 * incremental model's unique_key so later merges look rows up instead of scanning.
 */
export function indexStatements(node: CompiledNode, dialect: Dialect, capabilities: Capabilities): string[] {
  const specs: IndexSpec[] = [];
  const configured = node.config.indexes;
  if (configured !== undefined && configured !== null) {
    if (!Array.isArray(configured)) throw new ConfigError(`indexes of ${node.name} must be a list of {columns: [...], unique: bool}`, { file: node.path, node: node.uniqueId });
    for (const entry of configured) {
      const columns = (entry as { columns?: unknown }).columns;
      if (!Array.isArray(columns) || columns.length === 0) throw new ConfigError(`An index of ${node.name} has no columns`, { file: node.path, node: node.uniqueId }, 'Write it as {columns: [customer_id]}.');
      specs.push({ columns: columns.map(String), unique: (entry as { unique?: unknown }).unique === true });
    }
  }
  const key = node.config.unique_key;
  if (capabilities.indexUniqueKeys && node.config.materialized === 'incremental' && key !== undefined && key !== null) {
    const columns = Array.isArray(key) ? key.map(String) : String(key).split(',').map((k) => k.trim()).filter(Boolean);
    if (columns.length > 0 && !specs.some((s) => s.columns.join(',') === columns.join(','))) specs.push({ columns, unique: false });
  }
  return specs.map((spec) => {
    const columns = spec.columns.map((c) => dialect.configuredColumn(c));
    return dialect.createIndex(node.relation, indexName(node.relation.identifier, columns), columns, spec.unique);
  });
}

/** `<table>__<columns>_idx`, shortened with a hash to stay within PostgreSQL's 63 bytes. */
function indexName(table: string, columns: string[]): string {
  const name = `${table}__${columns.join('_')}_idx`;
  return Buffer.byteLength(name) <= 63 ? name : `${table.slice(0, 40)}_${sha256(name).slice(0, 12)}_idx`;
}
