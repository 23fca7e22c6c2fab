import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Manifest } from '../manifest/types.js';
import type { RunSummary } from './results.js';

/** Writes a file via a temporary name and a rename, so a killed process never leaves half a file. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

export function writeManifest(targetPath: string, manifest: Manifest, redact: (text: string) => string): void {
  writeFileAtomic(join(targetPath, 'manifest.json'), redact(JSON.stringify(manifest, null, 1)));
}

/**
 * target/compiled/<project>/<path>: the SELECT each node compiles to. Only files whose text
 * changed are written (reading is far cheaper than writing), so a no-op run stays fast. These
 * files are for reading, not inputs, so a plain write is enough.
 */
export function writeCompiled(targetPath: string, manifest: Manifest, redact: (text: string) => string): void {
  const folders = new Set<string>();
  for (const node of Object.values(manifest.nodes)) {
    if (node.resourceType === 'seed' || !node.compiledSql) continue;
    const path = compiledPath(targetPath, manifest.metadata.projectName, node.path);
    const text = redact(node.compiledSql);
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    const folder = dirname(path);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    writeFileSync(path, text);
  }
}

export function compiledPath(targetPath: string, projectName: string, nodePath: string): string {
  return join(targetPath, 'compiled', projectName, nodePath);
}

/** target/run/<project>/<path>: the statements actually sent for a node. */
export function writeRunSql(targetPath: string, projectName: string, nodePath: string, statements: string[], redact: (text: string) => string): void {
  writeFileAtomic(join(targetPath, 'run', projectName, nodePath), redact(statements.map((s) => `${s};`).join('\n\n') + '\n'));
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
