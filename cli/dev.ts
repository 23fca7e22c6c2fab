import type { Command } from 'commander';
import { EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerDev(program: Command, state: CliState): void {
  const command = program
    .command('dev')
    .description('watch the project; on each save rebuild the changed models and their downstream')
    .addHelpText('after', '\nExample:\n  smelt dev --target dev');
  projectOptions(command).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      const { devTask } = await import('../core/tasks/dev-task.js');
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await devTask({ openSession: () => sessionFor(flags, state, output), reporter: output, signal: controller.signal });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      return EXIT_OK;
    });
  });
}
