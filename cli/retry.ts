import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { buildOptions, EXIT_FAILURE, EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerRetry(program: Command, state: CliState): void {
  const command = program
    .command('retry')
    .description('rerun the nodes that failed or were skipped in the last run, build, seed or test')
    .addHelpText('after', '\nExample:\n  smelt run && smelt retry');
  buildOptions(projectOptions(command)).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      const { retryPlan } = await import('../core/tasks/retry-plan.js');
      const session = sessionFor(flags, state, output);
      const plan = retryPlan(session.targetPath);
      if (plan.nodes.length === 0) {
        output.info(`Nothing to retry: the last ${plan.command} had no failures.`);
        return EXIT_OK;
      }
      // Select by unique id through the fqn of each node, which the selector matches exactly.
      const select = plan.nodes.map((id) => session.compiled.manifest.nodes[id]?.name).filter((n): n is string => !!n);
      output.info(`Retrying ${select.length} node${select.length === 1 ? '' : 's'} of the last ${plan.command}: ${select.join(', ')}`);
      switch (plan.command) {
        case 'run': {
          const { runTask } = await import('../core/tasks/run-task.js');
          const summary = await runTask(session, { ...flags, select, exclude: undefined }, output);
          return summary.success ? EXIT_OK : EXIT_FAILURE;
        }
        case 'test':
        case 'build': {
          const task = plan.command === 'test' ? (await import('../core/tasks/test-task.js')).testTask : (await import('../core/tasks/build-task.js')).buildTask;
          const summary = await task(session, { ...flags, select, exclude: undefined }, output);
          return summary.success ? EXIT_OK : EXIT_FAILURE;
        }
        default:
          throw new UsageError(`smelt retry cannot rerun '${plan.command}' yet`, {}, `Run smelt ${plan.command} again.`);
      }
    });
  });
}
