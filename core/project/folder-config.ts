/**
 * dbt-style folder config from project.yml:
 *
 *   models:
 *     my_project:          # optional: the project's own name
 *       +materialized: view
 *       gold:
 *         +materialized: table
 *         +schema: gold
 *
 * `+key` is always config. A key without `+` is a sub-folder, except when its value is a
 * scalar or list and its name is a known config key (dbt's older spelling).
 */
const PLAIN_CONFIG_KEYS = new Set([
  'materialized', 'schema', 'database', 'alias', 'tags', 'enabled', 'pre-hook', 'post-hook', 'persist_docs',
  'full_refresh', 'unique_key', 'incremental_strategy', 'on_schema_change', 'meta', 'docs', 'grants', 'contract',
  'column_types', 'quote_columns', 'delimiter', 'preserve_order', 'severity', 'store_failures', 'where', 'limit', 'warn_if', 'error_if',
]);

/**
 * Config that applies to a file at `folders` (path parts below the resource path, without the
 * file name); then, as dbt allows, the entry named after the resource itself (`name`) in its
 * folder's level.
 */
export function folderConfigFor(tree: Record<string, unknown>, projectName: string, folders: readonly string[], name?: string): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  let level: Record<string, unknown> | undefined = tree;
  applyLevel(merged, level);
  // Allow the project's name as the first level, as dbt requires it.
  const root = tree[projectName];
  if (isRecord(root)) {
    level = root;
    applyLevel(merged, level);
  }
  let depth = 0;
  for (const folder of folders) {
    const next: unknown = level?.[folder];
    if (!isRecord(next)) break;
    level = next;
    applyLevel(merged, level);
    depth++;
  }
  const own: unknown = name !== undefined && depth === folders.length ? level?.[name] : undefined;
  if (isRecord(own)) applyLevel(merged, own);
  return merged;
}

function applyLevel(merged: Record<string, unknown>, level: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(level)) {
    if (key.startsWith('+')) mergeConfigKey(merged, key.slice(1), value);
    else if (PLAIN_CONFIG_KEYS.has(key) && !isRecord(value)) mergeConfigKey(merged, key, value);
  }
}

/** Tags and hooks accumulate as dbt's do; meta merges; everything else overrides. */
export function mergeConfigKey(merged: Record<string, unknown>, key: string, value: unknown): void {
  if (key === 'tags' || key === 'pre-hook' || key === 'post-hook' || key === 'pre_hook' || key === 'post_hook') {
    const normalized = key.replace('_', '-');
    const existing = (merged[normalized] as unknown[] | undefined) ?? [];
    const added = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    merged[normalized] = [...existing, ...added.filter((v) => !existing.includes(v))];
  } else if (key === 'meta' && isRecord(value)) {
    merged.meta = { ...(isRecord(merged.meta) ? merged.meta : {}), ...value };
  } else {
    merged[key] = value;
  }
}

/**
 * The folder paths a config tree names (`models: {gold: {+schema: gold}}` names [gold]), below
 * the project's own name where that is the first level, each with its keys in the tree (`at`):
 * to tell which apply to no folder, and where they are written.
 */
export function configFolderPaths(tree: Record<string, unknown>, projectName: string): { folders: string[]; at: string[] }[] {
  const paths: { folders: string[]; at: string[] }[] = [];
  const walk = (level: Record<string, unknown>, folders: string[], at: string[]): void => {
    for (const [key, value] of Object.entries(level)) {
      if (key.startsWith('+') || PLAIN_CONFIG_KEYS.has(key) || !isRecord(value)) continue;
      if (at.length === 0 && key === projectName) {
        walk(value, folders, [key]);
        continue;
      }
      paths.push({ folders: [...folders, key], at: [...at, key] });
      walk(value, [...folders, key], [...at, key]);
    }
  };
  walk(tree, [], []);
  return paths;
}

/** The folders of a file below whichever of `roots` holds it (`models/gold/x.sql` -> [gold]). */
export function folderParts(path: string, roots: readonly string[]): string[] {
  const root = roots.find((r) => path.startsWith(`${r.replace(/\/$/, '')}/`));
  const rest = root ? path.slice(root.replace(/\/$/, '').length + 1) : path;
  return rest.split('/').slice(0, -1);
}

export function mergeConfig(base: Record<string, unknown>, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) mergeConfigKey(merged, key, value);
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
