import type { Command } from 'commander';
import { parseVars } from '../core/session.js';
import { EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerRunOperation(program: Command, state: CliState): void {
  const command = program
    .command('run-operation <macro>')
    .description('call a macro; the SQL it runs with run_query() (and the SQL it renders) is executed')
    .option('--args <yaml>', "keyword arguments, as YAML or JSON: '{table: orders}'")
    .addHelpText('after', "\nExample:\n  smelt run-operation grant_select --args '{role: analyst}'");
  projectOptions(command).action(async (macro: string, flags: CommonFlags & { args?: string }) => {
    await guard(state, flags, async (output) => {
      const { runOperationTask } = await import('../core/tasks/run-operation-task.js');
      const session = sessionFor(flags, state, output);
      const args = parseVars(flags.args);
      const result = await runOperationTask(session, macro, args, output);
      if (output.json) output.event('operation', { macro, statements: result.statements });
      else output.info(result.statements.length > 0 ? `Ran ${macro}: ${result.statements.length} statement${result.statements.length === 1 ? '' : 's'} executed.` : `Ran ${macro}; it executed no SQL.`);
      return EXIT_OK;
    });
  });
}
