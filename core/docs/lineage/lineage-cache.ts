import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/write-file-atomic.js';
import type { KnownColumns, NodeLineage } from './resolve-columns.js';

/**
 * Column lineage of the last `docs generate`, per node, in target/partial/docs-lineage.json, so
 * the next one parses only what changed. An entry is reused when the node's compiled SQL hashes
 * the same and every question its resolution asked (which node a relation names, which columns
 * an upstream node has, its own warehouse columns) gets the same answer now: resolution is a
 * pure function of the SQL and those answers, so a reused entry is exactly what a fresh parse
 * would give. Anything else about the file (dialect, parser version, the lineage code itself)
 * is in its `scope`; a different scope, a damaged or edited file only costs a full parse.
 */

/** One question asked while resolving, with the answer it got. */
export type LineageDep =
  /** lookupRelation([catalog, schema, name]) -> node */
  | { kind: 'relation'; relation: [string, string, string]; node: string | undefined }
  /** inlinedNode(cte name) -> node */
  | { kind: 'inlined'; name: string; node: string | undefined }
  /** columnsOf(node) -> columns */
  | { kind: 'columns'; node: string; columns: KnownColumns | undefined }
  /** the node's own warehouse columns */
  | { kind: 'output'; columns: string[] | undefined };

export interface LineageEntry {
  sqlHash: string;
  deps: LineageDep[];
  lineage: NodeLineage;
}

const FORMAT = 'docs-lineage-1';

export function lineageCachePath(targetPath: string): string {
  return join(targetPath, 'partial', 'docs-lineage.json');
}

export function sqlHash(sql: string): string {
  return createHash('sha1').update(sql).digest('base64');
}

/** What every entry depends on: the dialect, its parser's version and the lineage code. */
export function lineageScope(dialect: string): string {
  return createHash('sha1').update(JSON.stringify([FORMAT, dialect, parserVersion(dialect), codeHash()])).digest('hex');
}

const require = createRequire(import.meta.url);
const PARSER_PACKAGES: Record<string, string> = { duckdb: '@duckdb/node-api', postgres: 'libpg-query' };

function parserVersion(dialect: string): string {
  const name = PARSER_PACKAGES[dialect];
  try {
    return name ? `${name}@${(require(`${name}/package.json`) as { version: string }).version}` : dialect;
  } catch {
    // Unknown version: a per-process value, so the cache is never trusted across runs.
    return `unknown-${process.pid}-${Date.now()}`;
  }
}

let code: string | undefined;
/** The lineage code as built (the .js files beside this one, or .ts under a test runner). */
function codeHash(): string {
  if (code !== undefined) return code;
  const dir = fileURLToPath(new URL('./', import.meta.url));
  const hash = createHash('sha1');
  for (const file of readdirSync(dir).sort()) {
    if (/\.(js|ts)$/.test(file) && !/\.test\.|\.d\.ts$/.test(file)) hash.update(file).update(readFileSync(join(dir, file)));
  }
  return (code = hash.digest('hex'));
}

/**
 * On disk: a first line `<scope> <sha1 of the rest>`, then JSON in which node ids are numbers
 * into one `ids` table (the same ids recur in every entry).
 */
interface CacheFile {
  format: string;
  scope: string;
  ids: string[];
  /** [node, sqlHash, deps, columns, unresolved, error] */
  entries: [number, string, unknown[], unknown[], string[], string | null][];
}

export class LineageCache {
  private readonly next = new Map<string, LineageEntry>();
  private changed = false;

  private constructor(private readonly path: string | undefined, private readonly scope: string, private readonly entries: Map<string, LineageEntry>) {}

  static open(path: string | undefined, scope: string): LineageCache {
    let entries = new Map<string, LineageEntry>();
    if (path && existsSync(path)) {
      try {
        entries = decode(readFileSync(path, 'utf8'), scope);
      } catch {
        // Damaged, foreign or from another parser: a full parse.
        entries = new Map();
      }
    }
    return new LineageCache(path, scope, entries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry of a node whose compiled SQL is unchanged (its deps are checked by the caller). */
  lookup(node: string, hash: string): LineageEntry | undefined {
    const entry = this.entries.get(node);
    return entry && entry.sqlHash === hash ? entry : undefined;
  }

  keep(node: string, entry: LineageEntry): void {
    this.next.set(node, entry);
    if (this.entries.get(node) !== entry) this.changed = true;
  }

  /** Writes the file when an entry was added, changed or dropped. */
  save(): void {
    if (!this.path) return;
    if (!this.changed && [...this.entries.keys()].every((id) => this.next.has(id))) return;
    writeFileAtomic(this.path, encode(this.next, this.scope));
  }
}

function encode(entries: Map<string, LineageEntry>, scope: string): string {
  const ids: string[] = [];
  const at = new Map<string, number>();
  const id = (node: string | undefined): number => {
    if (node === undefined) return -1;
    let n = at.get(node);
    if (n === undefined) {
      n = ids.push(node) - 1;
      at.set(node, n);
    }
    return n;
  };
  const known = (columns: KnownColumns | undefined): unknown => (columns ? [columns.open ? 1 : 0, ...columns.names] : null);
  const rows: CacheFile['entries'] = [];
  for (const [node, entry] of entries) {
    const deps = entry.deps.map((dep): unknown => {
      switch (dep.kind) {
        case 'relation': return ['r', ...dep.relation, id(dep.node)];
        case 'inlined': return ['i', dep.name, id(dep.node)];
        case 'columns': return ['c', id(dep.node), known(dep.columns)];
        case 'output': return ['o', dep.columns ?? null];
      }
    });
    const columns = entry.lineage.columns.map((c) => [c.name, c.transform, c.sources.flatMap((s) => [id(s.node), s.column])]);
    rows.push([id(node), entry.sqlHash, deps, columns, entry.lineage.unresolved, entry.lineage.error ?? null]);
  }
  const body = JSON.stringify({ format: FORMAT, scope, ids, entries: rows } satisfies CacheFile);
  // The scope comes first too, so a cache of another parser or version is dropped unread.
  return `${scope} ${createHash('sha1').update(body).digest('hex')}\n${body}`;
}

function decode(text: string, scope: string): Map<string, LineageEntry> {
  const newline = text.indexOf('\n');
  const [fileScope, checksum] = text.slice(0, Math.max(newline, 0)).split(' ');
  if (fileScope !== scope) return new Map();
  const body = text.slice(newline + 1);
  if (createHash('sha1').update(body).digest('hex') !== checksum) throw new Error('checksum');
  const file = JSON.parse(body) as CacheFile;
  if (file.format !== FORMAT || file.scope !== scope) return new Map();
  const ids = file.ids;
  const node = (n: unknown): string | undefined => {
    if (n === -1) return undefined;
    const id = ids[n as number];
    if (typeof id !== 'string') throw new Error('bad id');
    return id;
  };
  const strings = (value: unknown): string[] => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error('bad strings');
    return value as string[];
  };
  const entries = new Map<string, LineageEntry>();
  for (const [self, hash, deps, columns, unresolved, error] of file.entries) {
    const lineage: NodeLineage = {
      columns: columns.map((column) => {
        const [name, transform, sources] = column as [string, string, unknown[]];
        if (typeof name !== 'string' || !['direct', 'derived', 'constant'].includes(transform) || sources.length % 2 !== 0) throw new Error('bad column');
        const list = [];
        for (let i = 0; i < sources.length; i += 2) list.push({ node: node(sources[i])!, column: strings([sources[i + 1]])[0]! });
        return { name, transform: transform as NodeLineage['columns'][number]['transform'], sources: list };
      }),
      unresolved: strings(unresolved),
      ...(error !== null ? { error: String(error) } : {}),
    };
    entries.set(node(self)!, { sqlHash: String(hash), deps: deps.map(decodeDep(node, strings)), lineage });
  }
  return entries;
}

function decodeDep(node: (n: unknown) => string | undefined, strings: (value: unknown) => string[]): (raw: unknown) => LineageDep {
  return (raw) => {
    const dep = raw as unknown[];
    switch (dep[0]) {
      case 'r': return { kind: 'relation', relation: strings(dep.slice(1, 4)) as [string, string, string], node: node(dep[4]) };
      case 'i': return { kind: 'inlined', name: strings([dep[1]])[0]!, node: node(dep[2]) };
      case 'c': {
        const known = dep[2] === null ? undefined : (dep[2] as unknown[]);
        return { kind: 'columns', node: node(dep[1])!, columns: known ? { open: known[0] === 1, names: strings(known.slice(1)) } : undefined };
      }
      case 'o': return { kind: 'output', columns: dep[1] === null ? undefined : strings(dep[1]) };
      default: throw new Error('bad dep');
    }
  };
}
