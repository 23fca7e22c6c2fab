import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerSource(program: Command, state: CliState): void {
  const source = program.command('source').description('commands about sources');
  const command = source
    .command('freshness')
    .description('check how recently each source was loaded against its warn_after / error_after')
    .addHelpText('after', '\nExamples:\n  smelt source freshness\n  smelt source freshness -s source:shop_db');
  selectionOptions(projectOptions(command)).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      const { freshnessTask } = await import('../core/tasks/freshness-task.js');
      const session = sessionFor(flags, state, output);
      const summary = await freshnessTask(session, flags, output);
      return summary.success ? EXIT_OK : EXIT_FAILURE;
    });
  });
}
