import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';
import { formatTable } from './table.js';

interface ShowFlags extends CommonFlags {
  inline?: string;
  limit: string;
}

export function registerShow(program: Command, state: CliState): void {
  const command = program
    .command('show')
    .description('preview the rows a model or an inline query returns (builds nothing)')
    .option('-s, --select <model>', 'the model to preview', (value: string, previous: string[] = []) => [...previous, value])
    .option('--inline <sql>', 'a query to run instead, with refs and macros')
    .option('--limit <n>', 'how many rows', '10')
    .addHelpText('after', '\nExamples:\n  smelt show -s fact_sales --limit 5\n  smelt show --inline "select status, count(*) from {{ ref(\'fact_sales\') }} group by 1"');
  projectOptions(command).action(async (flags: ShowFlags) => {
    await guard(state, flags, async (output) => {
      const { showTask } = await import('../core/tasks/show-task.js');
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number, not '${flags.limit}'`);
      const session = sessionFor(flags, state, output);
      const result = await showTask(session, { select: flags.select, inline: flags.inline, limit });
      if (output.json) {
        output.event('show', { title: result.title, columns: result.columns, rows: JSON.parse(JSON.stringify(result.rows, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) });
        return EXIT_OK;
      }
      output.info(`Previewing ${result.title} (${result.rows.length} row${result.rows.length === 1 ? '' : 's'}):`);
      output.line(result.columns.length > 0 ? formatTable(result.columns, result.rows) : '(no rows)');
      return EXIT_OK;
    });
  });
}
