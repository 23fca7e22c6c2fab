import { SmeltError } from '../core/errors.js';
import type { Reporter } from '../core/runner/reporter.js';
import type { NodeResult, RunSummary } from '../core/runner/results.js';
import type { CliIo } from './io.js';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
type Color = keyof typeof CODES;

export interface OutputOptions {
  quiet?: boolean;
  debug?: boolean;
  color?: boolean;
  /** 'json': one JSON object per event on stdout, for CI and orchestrators. */
  logFormat?: 'text' | 'json';
}

/** Terminal output: colors only on a terminal without NO_COLOR; one line per node; a summary. */
export class Output implements Reporter {
  readonly color: boolean;

  constructor(readonly io: CliIo, readonly options: OutputOptions = {}) {
    this.json = options.logFormat === 'json';
    this.color = !this.json && (options.color ?? (io.isTty && !('NO_COLOR' in io.env) && io.env.TERM !== 'dumb'));
  }

  readonly json: boolean;
  /** Set once the target is known: hides secret values in everything printed. */
  redact: (text: string) => string = (text) => text;

  get debugEnabled(): boolean {
    return !!this.options.debug;
  }

  /** One JSON event per line (--log-format json). */
  event(name: string, fields: Record<string, unknown>): void {
    this.io.stdout(`${this.redact(JSON.stringify({ event: name, ts: new Date().toISOString(), ...fields }))}\n`);
  }

  paint(color: Color, text: string): string {
    return this.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
  }

  /** Everything for stderr goes through here, so secrets are hidden there too. */
  private err(text: string): void {
    this.io.stderr(this.redact(text));
  }

  line(text = ''): void {
    this.io.stdout(`${this.redact(text)}\n`);
  }

  info(message: string): void {
    if (this.json) return this.event('info', { message });
    if (!this.options.quiet) this.line(message);
  }

  debug(message: string): void {
    if (!this.options.debug) return;
    if (this.json) return this.event('debug', { message });
    this.err(`${this.paint('gray', message)}\n`);
  }

  warn(warning: SmeltError | string): void {
    if (this.json) return this.event('warning', typeof warning === 'string' ? { message: warning } : errorFields(warning));
    if (typeof warning === 'string') {
      this.err(`${this.paint('yellow', 'warning:')} ${warning}\n`);
      return;
    }
    this.err(`${this.paint('yellow', 'warning:')} ${formatLocated(warning)}\n`);
    if (warning.hint) this.err(`  ${this.paint('cyan', 'hint:')} ${warning.hint}\n`);
  }

  private progressShown = false;
  private lastProgress = 0;
  private readonly progressStarted = new Map<string, number>();

  /** A live "name: rows (percent) rate" line, redrawn at most 10 times a second, on a terminal only. */
  progress(id: string, label: string, rows: number, done: number, total: number): void {
    if (!this.io.isTty || this.json || this.options.quiet) return;
    const now = performance.now();
    if (!this.progressStarted.has(id)) this.progressStarted.set(id, now);
    if (now - this.lastProgress < 100 && (total === 0 || done < total)) return;
    this.lastProgress = now;
    const seconds = Math.max(0.001, (now - this.progressStarted.get(id)!) / 1000);
    const percent = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    // Without a known total (one file of change events) only the count and the rate are shown.
    const share = total > 0 ? ` [${bar}] ${percent}%` : '';
    this.io.stdout(`\r\u001b[2K  ${label}${share}  ${rows.toLocaleString('en-US')} rows  ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.io.stdout('\r\u001b[2K');
    this.progressShown = false;
  }

  nodeStarted(index: number, total: number, id: string): void {
    if (this.json) this.event('node_started', { index, total, unique_id: id });
  }

  nodeFinished(index: number, total: number, result: NodeResult): void {
    this.clearProgress();
    if (this.json) return this.event('node_finished', { index, total, ...result });
    if (this.options.quiet && result.status !== 'error' && result.status !== 'fail') return;
    const counter = `${String(index).padStart(String(total).length)} of ${total}`;
    // Tests show how many rows failed: `FAIL 3`, `WARN 12`.
    const counted = (result.status === 'fail' || result.status === 'warn') && result.failures !== undefined;
    const label = counted ? `${STATUS_LABEL[result.status]} ${result.failures}` : STATUS_LABEL[result.status];
    const status = this.paint(STATUS_COLOR[result.status], label.padEnd(7));
    const kind = result.materialization.padEnd(11);
    const name = `${result.name} `.padEnd(40, '.');
    const rows = result.rowsAffected !== undefined ? `${result.rowsAffected.toLocaleString('en-US')} rows` : result.message === 'unchanged' ? 'skipped: unchanged' : '';
    const seconds = result.status === 'skipped' ? '' : `${result.executionTime.toFixed(2)}s`;
    this.line(`${counter}  ${status} ${kind} ${name} ${rows.padStart(14)} ${seconds.padStart(7)}`.trimEnd());
  }

  summary(summary: RunSummary): void {
    const count = (status: string) => summary.results.filter((r) => r.status === status).length;
    if (this.json) {
      const counts = Object.fromEntries(['success', 'pass', 'warn', 'error', 'fail', 'skipped'].map((s) => [s, count(s)]));
      return this.event('run_summary', { command: summary.command, success: summary.success, elapsed: summary.elapsed, counts });
    }
    const parts: string[] = [];
    if (count('success') || !count('pass')) parts.push(this.paint('green', `${count('success')} ok`));
    if (count('pass')) parts.push(this.paint('green', `${count('pass')} passed`));
    if (count('warn')) parts.push(this.paint('yellow', `${count('warn')} warned`));
    if (count('error')) parts.push(this.paint('red', `${count('error')} error${count('error') === 1 ? '' : 's'}`));
    if (count('fail')) parts.push(this.paint('red', `${count('fail')} failed`));
    if (count('skipped')) parts.push(this.paint('yellow', `${count('skipped')} skipped`));
    this.line();
    this.line(`${summary.success ? this.paint('green', 'Done.') : this.paint('red', 'Finished with errors.')} ${parts.join(', ')} in ${summary.elapsed.toFixed(2)}s`);
    for (const result of summary.results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'warn')) {
      this.line();
      const heading = result.status === 'warn' ? this.paint('yellow', 'Warning') : this.paint('red', result.status === 'fail' ? 'Failure' : 'Error');
      this.line(`${heading} in ${result.resourceType} ${this.paint('bold', result.name)}${result.where ? ` (${result.where})` : ''}`);
      if (result.message) for (const line of result.message.split('\n')) this.line(`  ${line}`);
      if (result.hint) this.line(`  ${this.paint('cyan', 'hint:')} ${result.hint}`);
    }
  }

  /** Prints an error that ended the command. */
  error(error: unknown): void {
    if (this.json) {
      const fields = error instanceof SmeltError ? errorFields(error) : { message: (error as Error)?.message ?? String(error), kind: 'internal' };
      return this.event('error', this.options.debug ? { ...fields, stack: (error as Error)?.stack } : fields);
    }
    if (error instanceof SmeltError) {
      this.err(`${this.paint('red', 'error:')} ${formatLocated(error)}\n`);
      if (error.hint) this.err(`  ${this.paint('cyan', 'hint:')} ${error.hint}\n`);
      if (this.options.debug && error.stack) this.err(`${error.stack}\n`);
      return;
    }
    const err = error as Error;
    this.err(`${this.paint('red', 'internal error:')} ${err?.message ?? String(error)}\n`);
    if (this.options.debug) this.err(`${err?.stack ?? ''}\n`);
    else this.err('  Run again with --debug for the stack trace, and please report it.\n');
  }
}

function errorFields(error: SmeltError): Record<string, unknown> {
  return { message: error.message, kind: error.kind, ...error.location, ...(error.hint ? { hint: error.hint } : {}) };
}

/** "message\n  --> file:line:col (node)". */
export function formatLocated(error: SmeltError): string {
  const where = error.where;
  const node = error.location.node;
  if (!where && !node) return error.message;
  return `${error.message}\n  --> ${[where, node ? `(${node})` : ''].filter(Boolean).join(' ')}`;
}

const STATUS_LABEL: Record<NodeResult['status'], string> = {
  success: 'OK', error: 'ERROR', skipped: 'SKIP', pass: 'PASS', fail: 'FAIL', warn: 'WARN',
};
const STATUS_COLOR: Record<NodeResult['status'], Color> = {
  success: 'green', error: 'red', skipped: 'yellow', pass: 'green', fail: 'red', warn: 'yellow',
};
