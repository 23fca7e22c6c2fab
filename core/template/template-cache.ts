import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { SMELT_VERSION } from '../version.js';
import { COMPILER_REVISION } from './jinja-syntax.js';
import type { TemplateEnvironment } from './environment.js';

/**
 * Part of dbt's "partial parsing": the JavaScript nunjucks generates for each template, keyed
 * by a hash of the template's text, kept in target/partial/templates.json. A file whose text
 * did not change is not lexed, parsed or code-generated again when it has to be rendered again
 * (its render is usually reused whole: see core/manifest/render-cache.ts). Any version change
 * of smelt drops the cache.
 */
interface CacheFile {
  smeltVersion: string;
  templates: Record<string, string>;
}

/** The generated code depends on smelt's version and on its patches to nunjucks' code generator. */
const CACHE_VERSION = `${SMELT_VERSION}+${COMPILER_REVISION}`;

export function templateCachePath(targetPath: string): string {
  return join(targetPath, 'partial', 'templates.json');
}

/** Whether the cache file is absent or at most `maxBytes` long. */
export function isSmallTemplateCache(targetPath: string, maxBytes: number): boolean {
  try {
    return statSync(templateCachePath(targetPath)).size <= maxBytes;
  } catch {
    return true;
  }
}

export function primeTemplateCache(environment: TemplateEnvironment, targetPath: string, options: { maxBytes?: number } = {}): void {
  const path = templateCachePath(targetPath);
  if (!existsSync(path)) return;
  try {
    if (options.maxBytes !== undefined && statSync(path).size > options.maxBytes) return;
    const file = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (file.smeltVersion !== CACHE_VERSION) return;
    environment.primeCompiledSources(file.templates);
  } catch {
    // A damaged cache only costs a full compile.
  }
}

/**
 * Writes the cache when this process compiled something new or stopped using an entry. `retain`
 * names templates this process did not need (their renders came from the render cache) but
 * whose files still exist: their code is kept for the day they render again.
 */
export function saveTemplateCache(environment: TemplateEnvironment, targetPath: string, primedCount: number, retain: ReadonlySet<string> = new Set()): void {
  const keep = new Set([...environment.usedSources, ...[...retain].filter((h) => environment.compiledSources.has(h))]);
  if (keep.size === primedCount && [...keep].every((h) => environment.compiledSources.has(h)) && environment.compiledSources.size === primedCount) return;
  const templates: Record<string, string> = {};
  for (const hash of keep) templates[hash] = environment.compiledSources.get(hash)!;
  writeFileAtomic(templateCachePath(targetPath), JSON.stringify({ smeltVersion: CACHE_VERSION, templates } satisfies CacheFile));
}
