import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState } from './common.js';
import { testOptions, type TestFlags } from './test.js';

export function registerBuild(program: Command, state: CliState): void {
  const command = program
    .command('build')
    .description('seeds, models, snapshots and tests in one run, in dependency order; a failing test skips what is built on its model')
    .addHelpText('after', '\nExamples:\n  smelt build\n  smelt build -s +fact_sales --target postgres\n  smelt build --threads 8 --store-failures');
  testOptions(selectionOptions(projectOptions(command)))
    .option('--full-refresh', 'rebuild incremental models and seeds from scratch')
    .action(async (flags: TestFlags) => {
      await guard(state, flags, async (output) => {
        const { buildTask } = await import('../core/tasks/build-task.js');
        const session = sessionFor(flags, state, output);
        const summary = await buildTask(session, flags, output);
        return summary.success ? EXIT_OK : EXIT_FAILURE;
      });
    });
}
