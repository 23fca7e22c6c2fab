import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256 } from '../util/hash.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';

/**
 * target/run/<project>/<path>: the statements actually sent for each node. Small files written
 * with fs/promises cost about four times the CPU of writeFileSync (a file handle and three
 * thread-pool hops each), so they are written synchronously, in batches, on the event loop's
 * next turn: by then the next node's statement is on its way and the database works meanwhile.
 * An index of hashes (`.index.json`, by path below target/run/) skips files whose text is unchanged.
 */
export class RunSqlWriter {
  private readonly indexPath: string;
  private readonly index: Record<string, string>;
  private pending: { key: string; text: string }[] = [];
  private scheduled = false;
  private changed = false;

  constructor(private readonly targetPath: string, private readonly projectName: string, private readonly redact: (text: string) => string) {
    this.indexPath = join(targetPath, 'run', '.index.json');
    try {
      this.index = JSON.parse(readFileSync(this.indexPath, 'utf8')) as Record<string, string>;
    } catch {
      this.index = {}; // no index yet: every file is written
    }
  }

  add(nodePath: string, statements: string[]): void {
    this.pending.push({ key: join(this.projectName, nodePath), text: this.redact(statements.map((s) => `${s};`).join('\n\n') + '\n') });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is left and the index; call once the nodes are built. */
  finish(): void {
    this.flush();
    if (this.changed) writeFileAtomic(this.indexPath, JSON.stringify(this.index));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const { key, text } of batch) {
      const path = join(this.targetPath, 'run', key);
      const hash = sha256(text);
      if (this.index[key] === hash && existsSync(path)) continue;
      try {
        writeOrMakeFolder(path, text);
        this.index[key] = hash;
      } catch {
        // target/run/ is for reading: a file that cannot be written must not fail the run.
        delete this.index[key];
      }
      this.changed = true;
    }
  }
}

/**
 * Overwrites an existing file in place (then cuts it to length) rather than truncating it first:
 * ext4 flushes a file truncated to zero while its last write is still unflushed, which made
 * rewriting 1,000 files take over a second in back-to-back runs (60 ms in place).
 */
function writeOrMakeFolder(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    try {
      writeFileSync(path, text);
    } catch {
      // The folder is made only when missing: one mkdir per folder, not one per node.
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    return;
  }
  try {
    const bytes = Buffer.from(text);
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
