import type { Command } from 'commander';
import { buildOptions, EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerSeed(program: Command, state: CliState): void {
  const command = program
    .command('seed')
    .description('load the CSV files under seeds/ into tables (unchanged files are skipped)')
    .addHelpText('after', '\nExamples:\n  smelt seed\n  smelt seed -s countries --target postgres\n  smelt seed --full-refresh');
  buildOptions(selectionOptions(projectOptions(command))).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      const { seedTask } = await import('../core/tasks/seed-task.js');
      const session = sessionFor(flags, state, output);
      const summary = await seedTask(session, flags, output);
      return summary.success ? EXIT_OK : EXIT_FAILURE;
    });
  });
}
