import { CompileError, ConfigError, type ErrorCollector } from '../errors.js';
import type { Project } from '../project/load-project.js';

/** One snapshot as written: a `{% snapshot %}` block in snapshots/*.sql, or a YAML entry with `relation:`. */
export interface SnapshotDefinition {
  name: string;
  /** The file that defines it (relative to the project root). */
  path: string;
  /**
   * The SQL template: the block's body with the lines before it left blank, so that a template
   * error points at the line of the file itself.
   */
  text: string;
  /** Line of the file on which the snapshot starts. */
  startLine: number;
  /** Folders below the snapshot path (for folder config and the fqn). */
  folders: string[];
}

const OPEN = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}/g;
const CLOSE = /\{%-?\s*endsnapshot\s*-?%\}/g;

/** Every snapshot of the project; malformed blocks are collected as errors with their line. */
export function collectSnapshots(project: Project, errors: ErrorCollector): SnapshotDefinition[] {
  const found: SnapshotDefinition[] = [];
  const roots = project.config['snapshot-paths'].map((r) => r.replace(/\/$/, ''));
  for (const file of project.snapshots) {
    const root = roots.find((r) => file.path.startsWith(`${r}/`));
    const folders = (root ? file.path.slice(root.length + 1) : file.path).split('/').slice(0, -1);
    errors.attempt(() => {
      const blocks = snapshotBlocks(file.path, file.text);
      for (const block of blocks) found.push({ ...block, path: file.path, folders });
    });
  }
  // dbt 1.9: snapshots defined in YAML, `relation: ref('orders')` or `source('shop', 'orders')`.
  for (const { yaml, value } of project.properties) {
    (value.snapshots ?? []).forEach((entry, index) => {
      if (entry.relation === undefined) return;
      const line = yaml.lineOf(['snapshots', index, 'relation']) ?? 1;
      const relation = entry.relation.trim().replace(/^\{\{\s*|\s*\}\}$/g, '');
      if (!/^(ref|source)\s*\(/.test(relation)) {
        errors.add(new ConfigError(`Snapshot ${entry.name}: relation must be ref('...') or source('...', '...'), not '${entry.relation}'`, { file: yaml.path, line }, "Example: relation: source('shop', 'orders')"));
        return;
      }
      found.push({ name: entry.name, path: yaml.path, text: `${'\n'.repeat(line - 1)}select * from {{ ${relation} }}`, startLine: line, folders: [] });
    });
  }
  return found;
}

/** The `{% snapshot name %} ... {% endsnapshot %}` blocks of one file. */
export function snapshotBlocks(path: string, text: string): { name: string; text: string; startLine: number }[] {
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const blocks: { name: string; text: string; startLine: number }[] = [];
  const opens = [...text.matchAll(OPEN)];
  const closes = [...text.matchAll(CLOSE)];
  if (opens.length === 0) {
    throw new CompileError(`${path} holds no {% snapshot %} block`, { file: path, line: 1 }, 'Wrap the query: {% snapshot name %} {{ config(...) }} select ... {% endsnapshot %}');
  }
  for (const [i, open] of opens.entries()) {
    const start = open.index! + open[0].length;
    const close = closes.find((c) => c.index! > open.index!);
    const next = opens[i + 1];
    if (!close || (next && close.index! > next.index!)) {
      throw new CompileError(`Snapshot ${open[1]} has no {% endsnapshot %}`, { file: path, line: lineAt(open.index!) }, 'Close the block with {% endsnapshot %} before the next {% snapshot %}.');
    }
    const startLine = lineAt(open.index!);
    // Keep line numbers: blank out everything before the body except its line breaks.
    const before = text.slice(0, start).replace(/[^\n]/g, ' ');
    blocks.push({ name: open[1]!, text: before + text.slice(start, close.index!), startLine });
  }
  return blocks;
}
