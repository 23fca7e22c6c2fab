import { Command, CommanderError } from 'commander';
import { SMELT_VERSION } from '../core/version.js';
import { registerBuild } from './build.js';
import { registerClean } from './clean.js';
import { EXIT_ERROR, type CliState } from './common.js';
import { registerCompile } from './compile.js';
import { registerDebug } from './debug.js';
import { registerDocs } from './docs.js';
import { registerIngest } from './ingest.js';
import { registerCapture } from './capture.js';
import { registerInit } from './init.js';
import { processIo, type CliIo } from './io.js';
import { registerLs } from './ls.js';
import { registerRun } from './run.js';
import { registerSeed } from './seed.js';
import { registerShow } from './show.js';
import { registerSnapshot } from './snapshot.js';
import { registerRunOperation } from './run-operation.js';
import { registerRetry } from './retry.js';
import { registerSource } from './source.js';
import { registerDev } from './dev.js';
import { registerParse } from './parse.js';
import { registerTest } from './test.js';

/**
 * Builds the command tree. One file per command; each stays thin and calls core, and imports its
 * task only when it runs, so start-up loads the modules of the one command used.
 */
export function buildProgram(state: CliState): Command {
  const program = new Command('smelt')
    .description('SQL-first data transformation: templated SQL models built in dependency order on DuckDB or PostgreSQL')
    .version(SMELT_VERSION, '-v, --version')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => state.io.stdout(s), writeErr: (s) => state.io.stderr(s) });
  registerInit(program, state);
  registerDebug(program, state);
  registerCompile(program, state);
  registerRun(program, state);
  registerTest(program, state);
  registerBuild(program, state);
  registerSeed(program, state);
  registerIngest(program, state);
  registerCapture(program, state);
  registerSnapshot(program, state);
  registerLs(program, state);
  registerShow(program, state);
  registerRunOperation(program, state);
  registerRetry(program, state);
  registerSource(program, state);
  registerDev(program, state);
  registerParse(program, state);
  registerDocs(program, state);
  registerClean(program, state);
  for (const command of allCommands(program)) command.exitOverride().configureOutput({ writeOut: (s) => state.io.stdout(s), writeErr: (s) => state.io.stderr(s) });
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Runs the CLI and returns its exit code (it never calls process.exit, so tests can run it in-process). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const state: CliState = { io, exitCode: 0 };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end "with an error" that is not one.
      return error.exitCode === 0 ? 0 : EXIT_ERROR;
    }
    throw error;
  }
  return state.exitCode;
}
