import type { Command } from 'commander';
import { withConnection } from '../core/adapters/adapter.js';
import { createAdapter } from '../core/adapters/create-adapter.js';
import { SmeltError } from '../core/errors.js';
import { redactor } from '../core/runner/artifacts.js';
import { EXIT_ERROR, EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerDebug(program: Command, state: CliState): void {
  const command = program
    .command('debug')
    .description('check project.yml, the target and the database connection')
    .addHelpText('after', '\nExample:\n  smelt debug --target postgres');
  projectOptions(command).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      output.line(`smelt ${program.version()}, Node ${process.version}`);
      const session = sessionFor(flags, state, output);
      const redact = redactor(session.target.secrets);
      output.line(`project:  ${session.project.name} (${session.root})`);
      output.line(`target:   ${session.target.name}`);
      const shown = { ...session.target.config } as Record<string, unknown>;
      if ('password' in shown && shown.password) shown.password = '****';
      for (const [key, value] of Object.entries(shown)) output.line(`  ${key}: ${redact(String(value))}`);
      output.line(`nodes:    ${Object.keys(session.compiled.manifest.nodes).length}, sources: ${Object.keys(session.compiled.manifest.sources).length}`);
      const adapter = await createAdapter(session.target, session.root, 1);
      try {
        await adapter.open();
        const description = await withConnection(adapter, (c) => adapter.describe(c));
        output.line(`connection: ${output.paint('green', 'OK')}  ${redact(description)}`);
        return EXIT_OK;
      } catch (error) {
        if (!(error instanceof SmeltError)) throw error;
        output.line(`connection: ${output.paint('red', 'FAILED')}`);
        output.error(error);
        return EXIT_ERROR;
      } finally {
        await adapter.close();
      }
    });
  });
}
