import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, posix, sep } from 'node:path';

/** Files below `dirs` (relative to root) whose names end with one of `extensions`, sorted, relative, forward slashes. */
export function discoverFiles(root: string, dirs: readonly string[], extensions: readonly string[]): string[] {
  const found: string[] = [];
  // Relative paths are built by joining names (path.relative per file costs more than the walk).
  const walk = (absDir: string, relDir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(absDir, { withFileTypes: true });
    } catch {
      return; // a configured folder that does not exist simply holds nothing
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const abs = `${absDir}${sep}${entry.name}`;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      // Only a symbolic link needs a stat to tell a folder from a file.
      const isDirectory = entry.isSymbolicLink() ? statSync(abs).isDirectory() : entry.isDirectory();
      if (isDirectory) walk(abs, rel);
      else if (extensions.some((ext) => entry.name.endsWith(ext))) found.push(rel);
    }
  };
  for (const dir of dirs) {
    // As join(root, dir) reads it: relative to root even with a leading slash.
    const relDir = posix.normalize(toPosix(dir).replace(/^\/+/, '')).replace(/\/+$/, '');
    walk(join(root, dir), relDir === '.' ? '' : relDir);
  }
  return [...new Set(found)];
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
