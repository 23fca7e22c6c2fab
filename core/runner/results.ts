/** What happened to one node in one invocation (the rows of run_results.json). */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

export interface NodeResult {
  uniqueId: string;
  name: string;
  resourceType: string;
  materialization: string;
  status: NodeStatus;
  /** Seconds. */
  executionTime: number;
  startedAt: string;
  completedAt: string;
  rowsAffected?: number;
  /** Error text, or the reason a node was skipped. */
  message?: string;
  /** "file:line" where the error points, when known. */
  where?: string;
  hint?: string;
  failures?: number;
  warnings: string[];
  /** Seeds: the CSV file (relative path) and the checksum of its contents and load config. */
  file?: string;
  checksum?: string;
}

export interface RunSummary {
  command: string;
  results: NodeResult[];
  elapsed: number;
  success: boolean;
}

export function isFailure(result: NodeResult): boolean {
  return result.status === 'error' || result.status === 'fail';
}
