import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Files below `dirs` (relative to root) whose names end with one of `extensions`, sorted, relative, forward slashes. */
export function discoverFiles(root: string, dirs: readonly string[], extensions: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (absDir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(absDir);
    } catch {
      return; // a configured folder that does not exist simply holds nothing
    }
    for (const entry of entries.sort()) {
      if (entry.startsWith('.')) continue;
      const abs = join(absDir, entry);
      const stats = statSync(abs);
      if (stats.isDirectory()) walk(abs);
      else if (extensions.some((ext) => entry.endsWith(ext))) found.push(toPosix(relative(root, abs)));
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return [...new Set(found)];
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
