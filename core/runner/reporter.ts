import type { SmeltError } from '../errors.js';
import type { NodeResult, RunSummary } from './results.js';

/** How tasks tell the outside world what is happening; the CLI decides how it looks. */
export interface Reporter {
  info(message: string): void;
  warn(warning: SmeltError | string): void;
  nodeStarted?(index: number, total: number, id: string): void;
  nodeFinished(index: number, total: number, result: NodeResult): void;
  summary(summary: RunSummary): void;
  /** SQL sent to the database, for --debug. */
  debug?(message: string): void;
  /**
   * A long load's progress (seeds, change events): rows so far and how much of the input is
   * read. Shown as a live line on a terminal; ignored elsewhere.
   */
  progress?(id: string, label: string, rows: number, done: number, total: number): void;
  /** Whether debug() prints anything (so callers can skip the work of logging). */
  readonly debugEnabled?: boolean;
}

export const silentReporter: Reporter = {
  info: () => undefined,
  warn: () => undefined,
  nodeFinished: () => undefined,
  summary: () => undefined,
};
