import type { Command } from 'commander';
import { buildOptions, EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerRun(program: Command, state: CliState): void {
  const command = program
    .command('run')
    .description('build the selected models in dependency order on the target database')
    .addHelpText('after', '\nExamples:\n  smelt run\n  smelt run --changed\n  smelt run -s state:modified+\n  smelt run -s +fact_sales --target postgres\n  smelt run -s tag:nightly --exclude dim_dates --threads 8');
  buildOptions(selectionOptions(projectOptions(command)))
    .option('--changed', 'build only models changed since their last successful build on this target, plus what a breaking change affects')
    .action(async (flags: CommonFlags & { changed?: boolean }) => {
      await guard(state, flags, async (output) => {
        const { runTask } = await import('../core/tasks/run-task.js');
        const session = sessionFor(flags, state, output);
        const summary = await runTask(session, flags, output);
        return summary.success ? EXIT_OK : EXIT_FAILURE;
      });
    });
}
