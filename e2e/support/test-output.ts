import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of `smelt test` / `smelt build`: " 4 of 18  FAIL 2  test        unique_orders_id ....  0.01s". */
export interface ResultLine {
  index: number;
  total: number;
  status: string;
  failures?: number;
  kind: string;
  name: string;
}

const RESULT_LINE = /^\s*(\d+) of (\d+)\s+(OK|PASS|FAIL|WARN|ERROR|SKIP)(?: (\d+))?\s+(\S+)\s+(\S+?)(?: \.*)?(?:\s|$)/;

export function resultLines(stdout: string): ResultLine[] {
  return stdout.split('\n').flatMap((line) => {
    const m = RESULT_LINE.exec(line);
    if (!m) return [];
    return [{ index: Number(m[1]), total: Number(m[2]), status: m[3]!, ...(m[4] !== undefined ? { failures: Number(m[4]) } : {}), kind: m[5]!, name: m[6]! }];
  });
}

/** name -> "PASS", "FAIL 2", "WARN 1", "ERROR", "SKIP", "OK". */
export function statuses(stdout: string): Record<string, string> {
  return Object.fromEntries(resultLines(stdout).map((l) => [l.name, l.failures !== undefined ? `${l.status} ${l.failures}` : l.status]));
}

export interface RunResultRow {
  uniqueId: string;
  name: string;
  resourceType: string;
  status: string;
  failures?: number;
  message?: string;
  where?: string;
}

export function runResults(dir: string): { success: boolean; command: string; results: RunResultRow[] } {
  return JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8'));
}
