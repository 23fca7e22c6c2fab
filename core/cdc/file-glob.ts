import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files a folder of change events is read for, when `path:` names the folder itself. */
const EVENT_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/;

/**
 * The files that `patterns` (relative to root, forward slashes) name, sorted and without
 * duplicates. A pattern is a file, a folder (its event files, recursively) or a glob with `*`,
 * `**`, `?` and `{a,b}`. Paths come back relative to root.
 */
export function expandGlobs(root: string, patterns: readonly string[]): string[] {
  const found = new Set<string>();
  for (const raw of patterns) {
    const pattern = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!/[*?{]/.test(pattern)) {
      const stats = statOrUndefined(join(root, pattern));
      if (stats?.isFile()) found.add(pattern);
      else if (stats?.isDirectory()) walk(root, pattern).filter((f) => EVENT_FILE.test(f)).forEach((f) => found.add(f));
      continue;
    }
    const parts = pattern.split('/');
    const firstWild = parts.findIndex((p) => /[*?{]/.test(p));
    const base = parts.slice(0, firstWild).join('/');
    const regex = globToRegExp(pattern);
    for (const file of walk(root, base)) if (regex.test(file)) found.add(file);
  }
  return [...found].sort();
}

export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, including none.
      if (pattern[i + 2] === '/') {
        out += '(?:[^/]+/)*';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${pattern.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else out += escape(ch);
  }
  return new RegExp(`^${out}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function walk(root: string, dir: string): string[] {
  const files: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return files;
  }
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    const rel = dir ? `${dir}/${entry}` : entry;
    const stats = statOrUndefined(join(root, rel));
    if (stats?.isDirectory()) files.push(...walk(root, rel));
    else if (stats?.isFile()) files.push(rel);
  }
  return files;
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
