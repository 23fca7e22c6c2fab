import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { sha256 } from '../util/hash.js';
import { SMELT_VERSION } from '../version.js';
import { YamlFile } from './yaml-file.js';

/**
 * Partial parsing of YAML property files: the value each file parsed to, keyed by a hash of its
 * text, in target/partial/yaml.bin (V8's serialisation: keeps what YAML can hold and JSON cannot,
 * such as .inf and .nan). A file with the same text is not parsed again; its syntax tree is
 * parsed only if a line must be named (a validation problem). Values are validated on every
 * load as before, so warnings and errors are the same. On 10,000 documented models (2.6 MB of
 * YAML) parsing took about 0.8 s of every command.
 */
interface CacheFile {
  version: string;
  entries: Record<string, { hash: string; value: unknown }>;
}

const VERSION = `${SMELT_VERSION}+yaml1`;

export class YamlCache {
  private readonly next: CacheFile['entries'] = {};
  private changed = false;

  private constructor(private readonly path: string | undefined, private readonly entries: CacheFile['entries']) {}

  static open(targetPath: string | undefined): YamlCache {
    if (!targetPath) return new YamlCache(undefined, {});
    const path = join(targetPath, 'partial', 'yaml.bin');
    let entries: CacheFile['entries'] = {};
    if (existsSync(path)) {
      try {
        const file = deserialize(readFileSync(path)) as CacheFile;
        if (file?.version === VERSION && file.entries && typeof file.entries === 'object') entries = file.entries;
      } catch {
        // A damaged cache only costs parsing every file.
      }
    }
    return new YamlCache(path, entries);
  }

  /** The file, from the cache when its text is unchanged; parse errors throw as YamlFile.parse does. */
  parse(path: string, text: string): YamlFile {
    const hash = sha256(text);
    const entry = this.entries[path];
    if (entry && entry.hash === hash) {
      this.next[path] = entry;
      return YamlFile.fromValue(path, text, entry.value);
    }
    const file = YamlFile.parse(path, text);
    this.next[path] = { hash, value: file.value };
    this.changed = true;
    return file;
  }

  /** Writes the cache when a file was parsed anew or one is gone. */
  save(): void {
    if (!this.path) return;
    if (!this.changed && Object.keys(this.entries).every((path) => path in this.next)) return;
    try {
      writeFileAtomic(this.path, serialize({ version: VERSION, entries: this.next } satisfies CacheFile));
    } catch {
      // The cache is an optimisation: a read-only target/ must not fail the command.
    }
  }
}
