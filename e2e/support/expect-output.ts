import { expect } from 'vitest';
import type { CliResult } from './project.js';

/** Lines that only a stack trace prints ("    at fn (file:1:2)"). */
export const STACK_LINE = /^\s+at .+/m;

/** The user-facing contract of a failed command: an exit code, a located message, no stack trace. */
export function expectCleanFailure(result: CliResult, code: number): void {
  expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(code);
  expect(result.stderr + result.stdout).not.toMatch(STACK_LINE);
  expect(result.stderr + result.stdout).not.toContain('internal error');
}

/** The per-node lines of `smelt run`: "1 of 3  OK      view        name ....   12 rows   0.01s". */
export interface NodeLine {
  index: number;
  total: number;
  status: string;
  materialization: string;
  name: string;
  rows?: number;
  seconds?: number;
}

const NODE_LINE = /^\s*(\d+) of (\d+)\s+(\S+)\s+(\S+)\s+(\S+) \.*(?:\s+([\d,]+) rows)?(?:\s+(\d+\.\d\d)s)?$/;

export function nodeLines(stdout: string): NodeLine[] {
  return stdout.split('\n').flatMap((line) => {
    const m = NODE_LINE.exec(line);
    if (!m) return [];
    return [{
      index: Number(m[1]),
      total: Number(m[2]),
      status: m[3]!,
      materialization: m[4]!,
      name: m[5]!,
      ...(m[6] !== undefined ? { rows: Number(m[6].replaceAll(',', '')) } : {}),
      ...(m[7] !== undefined ? { seconds: Number(m[7]) } : {}),
    }];
  });
}
