import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectSourceFile } from '../project/load-project.js';
import type { Project } from '../project/load-project.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { currentInput, type RenderInput, type RunContext } from '../template/context.js';
import { COMPILER_REVISION } from '../template/jinja-syntax.js';
import { sha256 } from '../util/hash.js';
import { SMELT_VERSION } from '../version.js';

/**
 * dbt's partial parsing, for rendering: what a model's render produced (its config() calls,
 * refs, sources, macros and final SQL), kept in target/partial/renders.json and reused while
 * nothing it was rendered from has changed. A model is rendered again when
 *
 * - its file's text, or the config it starts from (project.yml folders, YAML `config:`) differs;
 * - any macro file, the adapter type, or a project.yml setting other than vars and folder
 *   configs differs (the `scope` key below: every model is rendered again);
 * - a var, environment variable, `target` field or flag it read has another value now;
 * - a relation it resolved (its own, a ref's, a source's) is named differently now.
 *
 * A render that read `run_started_at`, `invocation_id` or logged something is never cached. A
 * damaged or foreign cache file only costs a full render.
 */
export interface RenderEntry {
  path: string;
  /** sha256 of the file's text: also the node's `checksum`. */
  textHash: string;
  /** The config the model started from, before its own config() calls. */
  baseConfig: string;
  /** Config after rendering (config() merged in). */
  config: Record<string, unknown>;
  refs: string[];
  sources: string[];
  macros: string[];
  vars: [string, unknown][];
  inputs: RenderInput[];
  /** The relations the final SQL was rendered with (see `dependencyFingerprint`). */
  fingerprint: string;
  sql: string;
  stateChecksum: string;
}

interface CacheFile {
  version: string;
  scope: string;
  entries: Record<string, RenderEntry>;
}

const CACHE_VERSION = `${SMELT_VERSION}+${COMPILER_REVISION}+renders1`;

export function renderCachePath(targetPath: string): string {
  return join(targetPath, 'partial', 'renders.json');
}

/** What every render depends on: a change here renders every model again. */
export function renderScope(project: Project, run: RunContext): string {
  const { vars: _vars, models: _models, seeds: _seeds, snapshots: _snapshots, ...settings } = project.config as Record<string, unknown>;
  const macros = [...project.macros].sort((a, b) => (a.path < b.path ? -1 : 1)).map((m: ProjectSourceFile) => [m.path, m.text]);
  return sha256(JSON.stringify([CACHE_VERSION, project.name, run.target.type, settings, macros]));
}

export class RenderCache {
  private readonly entries: Record<string, RenderEntry>;
  private readonly next: Record<string, RenderEntry> = {};
  private changed = false;

  private constructor(private readonly path: string | undefined, private readonly scope: string, entries: Record<string, RenderEntry>, private readonly secrets: readonly string[]) {
    this.entries = entries;
  }

  /** Reads the cache under `targetPath`; without a target path (or a usable file) it starts empty. */
  static open(targetPath: string | undefined, scope: string, secrets: readonly string[] = []): RenderCache {
    if (!targetPath) return new RenderCache(undefined, scope, {}, secrets);
    const path = renderCachePath(targetPath);
    let entries: Record<string, RenderEntry> = {};
    if (existsSync(path)) {
      try {
        const file = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
        if (file.version === CACHE_VERSION && file.scope === scope && file.entries && typeof file.entries === 'object') entries = file.entries;
      } catch {
        // A damaged cache only costs a full render.
      }
    }
    return new RenderCache(path, scope, entries, secrets.filter((secret) => secret.length > 0));
  }

  /**
   * The entry of a model whose file, starting config and recorded inputs are unchanged, or
   * undefined. Relations are checked later (`fingerprint`), once every model's config is known.
   */
  lookup(uniqueId: string, path: string, textHash: string, baseConfig: string, run: RunContext): RenderEntry | undefined {
    const entry = this.entries[uniqueId];
    if (!entry || entry.path !== path || entry.textHash !== textHash || entry.baseConfig !== baseConfig) return undefined;
    for (const input of entry.inputs) {
      if (!sameInput(input, currentInput(run, input.kind, input.name))) return undefined;
    }
    return entry;
  }

  /**
   * Keeps an entry for the next file: a reused one as it was, a new render as given. A render
   * that holds a secret (a password, a secret env var, in its SQL or its inputs) is not kept:
   * target/ never holds secrets, and redacting the SQL would make it wrong to reuse.
   */
  keep(uniqueId: string, entry: RenderEntry): void {
    if (this.secrets.length > 0 && this.entries[uniqueId] !== entry) {
      const text = JSON.stringify(entry);
      if (this.secrets.some((secret) => text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1)))) {
        this.changed = true;
        return;
      }
    }
    this.next[uniqueId] = entry;
    if (this.entries[uniqueId] !== entry) this.changed = true;
  }

  /** Writes the cache when an entry was added, changed or dropped. */
  save(): void {
    if (!this.path) return;
    const dropped = Object.keys(this.entries).some((id) => !(id in this.next));
    if (!this.changed && !dropped) return;
    writeFileAtomic(this.path, JSON.stringify({ version: CACHE_VERSION, scope: this.scope, entries: this.next } satisfies CacheFile));
  }
}

function sameInput(recorded: RenderInput, now: RenderInput): boolean {
  if (recorded.present !== now.present) return false;
  return !recorded.present || JSON.stringify(recorded.value) === JSON.stringify(now.value);
}
