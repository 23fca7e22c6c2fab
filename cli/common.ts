import { Option, type Command } from 'commander';
import { SmeltError, SmeltErrors } from '../core/errors.js';
import { openSession, type Session } from '../core/session.js';
import { secretEnvValues } from '../core/project/targets.js';
import { redactor } from '../core/runner/artifacts.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';

/** Exit codes, as documented in README.md. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_ERROR = 2;

export interface CommonFlags {
  projectDir?: string;
  profilesDir?: string;
  target?: string;
  vars?: string;
  threads?: string;
  debug?: boolean;
  quiet?: boolean;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
  logFormat?: 'text' | 'json';
  wait?: number;
}

export interface CliState {
  io: CliIo;
  exitCode: number;
}

export function projectOptions(command: Command): Command {
  return command
    .option('--project-dir <dir>', 'folder that holds project.yml (default: this folder or a parent)')
    .option('-t, --target <name>', 'target from project.yml (or a dbt project\'s profiles.yml) to use')
    .option('--profiles-dir <dir>', 'a dbt project: folder that holds profiles.yml (default: the project folder, then ~/.dbt/)')
    .option('--vars <yaml>', "override project vars, as YAML or JSON: '{key: value}'")
    .option('--debug', 'print stack traces and the SQL sent')
    .option('-q, --quiet', 'print only errors and the summary')
    .addOption(new Option('--log-format <format>', 'text, or json: one JSON object per event').choices(['text', 'json']).default('text'));
}

export function selectionOptions(command: Command): Command {
  return command
    .addOption(new Option('-s, --select <selectors...>', 'nodes to include (dbt selector syntax)'))
    .addOption(new Option('--exclude <selectors...>', 'nodes to leave out'));
}

export function buildOptions(command: Command): Command {
  return command
    .option('--threads <n>', 'how many nodes to build at once')
    .option('--full-refresh', 'rebuild incremental models and seeds from scratch')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option(...WAIT_OPTION);
}

/** `--wait SECONDS`, on every command that writes to the target. */
export const WAIT_OPTION = ['--wait <seconds>', 'if another smelt command is writing to the target, wait this long for it', parseSeconds] as const;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new SmeltError(`--wait takes a number of seconds, not '${value}'`);
  return n;
}

export function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new SmeltError(`--threads must be a whole number from 1 to 256, not '${value}'`);
  return n;
}

export function sessionFor(flags: CommonFlags, state: CliState, output: Output): Session {
  // Secrets are known before the project compiles: its errors are redacted too.
  output.redact = redactor(secretEnvValues(state.io.env));
  const session = openSession({
    projectDir: flags.projectDir ?? state.io.cwd,
    target: flags.target,
    vars: flags.vars,
    threads: parseThreads(flags.threads),
    fullRefresh: flags.fullRefresh,
    profilesDir: flags.profilesDir,
    env: state.io.env,
    log: (message) => output.info(message),
  });
  output.redact = redactor(session.target.secrets);
  // Compile warnings (unknown keys, YAML describing a missing model ...) are shown by every command.
  session.compiled.warnings.forEach((w) => output.warn(w));
  return session;
}

/** Runs a command body; maps errors to messages and exit codes (never a stack trace without --debug). */
export async function guard(state: CliState, flags: CommonFlags, body: (output: Output) => Promise<number> | number): Promise<void> {
  const output = new Output(state.io, { debug: flags.debug, quiet: flags.quiet, logFormat: flags.logFormat });
  try {
    state.exitCode = await body(output);
  } catch (error) {
    if (error instanceof SmeltErrors) {
      for (const e of error.errors) output.error(e);
      if (!output.json) output.io.stderr(`\n${error.errors.length} errors found.\n`);
      state.exitCode = EXIT_ERROR;
      return;
    }
    output.error(error);
    state.exitCode = EXIT_ERROR;
  }
}
