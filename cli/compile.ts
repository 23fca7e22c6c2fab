import type { Command } from 'commander';
import { EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerCompile(program: Command, state: CliState): void {
  const command = program
    .command('compile')
    .description('render every model and write target/manifest.json and target/compiled/ (no database)')
    .addHelpText('after', '\nExamples:\n  smelt compile\n  smelt compile -s +fact_sales\n  smelt compile --inline "select * from {{ ref(\'fact_sales\') }}"');
  selectionOptions(projectOptions(command))
    .option('--inline <sql>', 'compile this SQL (refs, sources, macros, vars) and print it')
    .action(async (flags: CommonFlags & { inline?: string }) => {
    await guard(state, flags, async (output) => {
      const { compileTask } = await import('../core/tasks/compile-task.js');
      const session = sessionFor(flags, state, output);
      if (flags.inline !== undefined) {
        const sql = session.compiled.templates.renderInline(flags.inline);
        if (output.json) output.event('compiled', { sql });
        else output.line(sql);
        return EXIT_OK;
      }
      const result = compileTask(session, flags, output);
      output.info(`Compiled ${result.models} models, ${result.seeds} seeds, ${result.sources} sources and ${result.macros} macros into ${session.project.config['target-path']}/`);
      return EXIT_OK;
    });
  });
}
