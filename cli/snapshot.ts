import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, WAIT_OPTION, type CliState, type CommonFlags } from './common.js';

export function registerSnapshot(program: Command, state: CliState): void {
  const command = program
    .command('snapshot')
    .description('take the snapshots under snapshots/: record how their rows change over time (dbt type-2 history)')
    .addHelpText('after', '\nExamples:\n  smelt snapshot\n  smelt snapshot -s orders_snapshot --target postgres');
  selectionOptions(projectOptions(command))
    .option('--threads <n>', 'how many snapshots to take at once')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option(...WAIT_OPTION)
    .action(async (flags: CommonFlags) => {
      await guard(state, flags, async (output) => {
        const { snapshotTask } = await import('../core/tasks/snapshot-task.js');
        const session = sessionFor(flags, state, output);
        const summary = await snapshotTask(session, flags, output);
        return summary.success ? EXIT_OK : EXIT_FAILURE;
      });
    });
}
