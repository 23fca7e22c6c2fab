import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Manifest } from '../manifest/types.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { sha256 } from '../util/hash.js';
import type { RunSummary } from './results.js';

export function writeManifest(targetPath: string, manifest: Manifest, redact: (text: string) => string): void {
  writeFileAtomic(join(targetPath, 'manifest.json'), redact(JSON.stringify(manifest, null, 1)));
}

/**
 * target/compiled/<project>/<path>: the SELECT each node compiles to. An index of what each
 * file holds (a hash per path) lets unchanged files be skipped without reading them, so a
 * no-op run stays fast. These files are for reading, not inputs, so a plain write is enough.
 */
export function writeCompiled(targetPath: string, manifest: Manifest, redact: (text: string) => string): void {
  const indexPath = join(targetPath, 'compiled', '.index.json');
  let index: Record<string, string> = {};
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, string>;
  } catch {
    // no index yet: every file is written
  }
  const next: Record<string, string> = {};
  const folders = new Set<string>();
  // What each folder holds, listed once (a stat per file costs more on large projects).
  const listings = new Map<string, Set<string>>();
  const exists = (path: string): boolean => {
    const folder = dirname(path);
    let names = listings.get(folder);
    if (!names) {
      try {
        names = new Set(readdirSync(folder));
      } catch {
        names = new Set();
      }
      listings.set(folder, names);
    }
    return names.has(basename(path));
  };
  let changed = false;
  for (const node of Object.values(manifest.nodes)) {
    if (node.resourceType === 'seed' || !node.compiledSql) continue;
    const path = compiledPath(targetPath, manifest.metadata.projectName, compiledFileOf(node));
    const text = redact(node.compiledSql);
    const hash = sha256(text);
    next[path] = hash;
    if (index[path] === hash && exists(path)) continue;
    const folder = dirname(path);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    writeFileSync(path, text);
    changed = true;
  }
  if (changed || Object.keys(index).length !== Object.keys(next).length) writeFileAtomic(indexPath, JSON.stringify(next));
}

/** A node's file below target/compiled/<project>/: its own path, or `<yml path>/<name>.sql` for tests declared in YAML, as dbt does. */
export function compiledFileOf(node: { path: string; name: string }): string {
  return node.path.endsWith('.sql') ? node.path : `${node.path}/${node.name}.sql`;
}

export function compiledPath(targetPath: string, projectName: string, nodePath: string): string {
  return join(targetPath, 'compiled', projectName, nodePath);
}

export function writeRunResults(targetPath: string, summary: RunSummary, metadata: Record<string, unknown>, redact: (text: string) => string): void {
  const document = {
    metadata: { ...metadata, generatedAt: new Date().toISOString() },
    command: summary.command,
    success: summary.success,
    elapsedTime: summary.elapsed,
    results: summary.results,
  };
  writeFileAtomic(join(targetPath, 'run_results.json'), redact(JSON.stringify(document, null, 1)));
}

/** Replaces every secret value with ****. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = secrets.filter((s) => s.length >= 3);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((acc, secret) => acc.split(secret).join('****'), text);
}
