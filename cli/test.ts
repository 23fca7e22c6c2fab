import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export interface TestFlags extends CommonFlags {
  storeFailures?: boolean;
  batch?: boolean;
}

export function registerTest(program: Command, state: CliState): void {
  const command = program
    .command('test')
    .description('run data tests (generic and singular) and unit tests on the target database')
    .addHelpText('after', '\nExamples:\n  smelt test\n  smelt test -s fact_sales\n  smelt test -s test_type:unit\n  smelt test -s tag:critical --threads 8 --store-failures');
  testOptions(selectionOptions(projectOptions(command))).action(async (flags: TestFlags) => {
    await guard(state, flags, async (output) => {
      const { testTask } = await import('../core/tasks/test-task.js');
      const session = sessionFor(flags, state, output);
      const summary = await testTask(session, flags, output);
      return summary.success ? EXIT_OK : EXIT_FAILURE;
    });
  });
}

/** Flags shared by `test` and `build`. */
export function testOptions(command: Command): Command {
  return command
    .option('--threads <n>', 'how many tests to run at once')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option('--store-failures', "keep every test's failing rows in a table (<schema>_dbt_test__audit.<test name>)")
    .option('--no-batch', 'run every test as its own query, as dbt does (PostgreSQL otherwise shares one scan among the tests of a table)');
}
