import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, WAIT_OPTION, type CliState, type CommonFlags } from './common.js';

export function registerIngest(program: Command, state: CliState): void {
  const command = program
    .command('ingest')
    .description('load the change-event files of CDC sources (sources with a cdc: block) into their change logs')
    .addHelpText('after', '\nFiles and events already loaded are skipped, so running it twice changes nothing.\n\nExamples:\n  smelt ingest\n  smelt ingest -s source:shop_cdc.customers\n  smelt ingest --full-refresh --target postgres');
  selectionOptions(projectOptions(command))
    .option('--full-refresh', 'drop the selected change logs and load every file again')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option(...WAIT_OPTION)
    .action(async (flags: CommonFlags) => {
      await guard(state, flags, async (output) => {
        const { ingestTask } = await import('../core/tasks/ingest-task.js');
        const session = sessionFor(flags, state, output);
        const summary = await ingestTask(session, flags, output);
        return summary.success ? EXIT_OK : EXIT_FAILURE;
      });
    });
}
