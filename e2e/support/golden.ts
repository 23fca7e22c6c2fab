import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/**
 * Golden SQL: the statements a test produces, compared with a file under `golden/` beside the
 * test. UPDATE_GOLDEN=1 rewrites the files; a missing file is written, except in CI where it
 * fails (a golden file must be committed).
 */
export function goldenFiles(testFileUrl: string): (file: string, statements: string[]) => void {
  const folder = join(dirname(fileURLToPath(testFileUrl)), 'golden');
  const update = process.env.UPDATE_GOLDEN === '1';
  return (file, statements) => {
    const text = `${statements.map((s) => `${s};`).join('\n\n')}\n`;
    const path = join(folder, file);
    if (update || !existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      if (!update && process.env.CI) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 and commit it`);
    }
    expect(text, `golden file ${file} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(path, 'utf8'));
  };
}
