import type { Command } from 'commander';
import { withConnection } from '../core/adapters/adapter.js';
import { createAdapter } from '../core/adapters/create-adapter.js';
import { SmeltError, SmeltErrors } from '../core/errors.js';
import { findProjectRoot, readProjectFile } from '../core/project/load-project.js';
import { DBT_PROJECT_FILE } from '../core/project/dbt-project.js';
import { resolveProfileTarget } from '../core/project/profiles.js';
import { resolveTarget } from '../core/project/targets.js';
import { redactor } from '../core/runner/artifacts.js';
import { EXIT_ERROR, EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';
import type { Output } from './output.js';

export function registerDebug(program: Command, state: CliState): void {
  const command = program
    .command('debug')
    .description('check project.yml, the target and the database connection')
    .addHelpText('after', '\nExample:\n  smelt debug --target postgres');
  projectOptions(command).action(async (flags: CommonFlags) => {
    await guard(state, flags, async (output) => {
      output.line(`smelt ${program.version()}, Node ${process.version}`);
      // Only project.yml and the target are needed to reach the database: a broken model must
      // not stop the connection check, so the models are compiled separately below.
      const root = findProjectRoot(flags.projectDir ?? state.io.cwd);
      const { config, warnings, file } = readProjectFile(root);
      warnings.forEach((w) => output.warn(w));
      const profile = file === DBT_PROJECT_FILE ? resolveProfileTarget(root, config, flags.target, { profilesDir: flags.profilesDir, env: state.io.env }) : undefined;
      profile?.warnings.forEach((w) => output.warn(w));
      const target = profile?.target ?? resolveTarget(config, flags.target, state.io.env);
      const redact = redactor(target.secrets);
      output.line(`project:  ${config.name} (${root})`);
      output.line(`target:   ${target.name}${profile ? ` (${profile.file ? `profile '${profile.profileName}' in ${profile.file}` : 'no profiles.yml: embedded DuckDB'})` : ''}`);
      const shown = { ...target.config } as Record<string, unknown>;
      if ('password' in shown && shown.password) shown.password = '****';
      for (const [key, value] of Object.entries(shown)) output.line(`  ${key}: ${redact(String(value))}`);
      const modelsOk = checkModels(flags, state, output);
      const adapter = await createAdapter(target, root, 1);
      try {
        await adapter.open();
        const description = await withConnection(adapter, (c) => adapter.describe(c));
        output.line(`connection: ${output.paint('green', 'OK')}  ${redact(description)}`);
        return modelsOk ? EXIT_OK : EXIT_ERROR;
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

/** Compiles the project and says how it went in one line; the details are `smelt compile`'s job. */
function checkModels(flags: CommonFlags, state: CliState, output: Output): boolean {
  try {
    const { manifest } = sessionFor(flags, state, output).compiled;
    output.line(`nodes:    ${Object.keys(manifest.nodes).length}, sources: ${Object.keys(manifest.sources).length}`);
    return true;
  } catch (error) {
    if (!(error instanceof SmeltError) && !(error instanceof SmeltErrors)) throw error;
    const count = error instanceof SmeltErrors ? error.errors.length : 1;
    output.line(`nodes:    ${output.paint('red', 'FAILED')}  ${count} error${count === 1 ? '' : 's'}; \`smelt compile\` shows ${count === 1 ? 'it' : 'them'}`);
    return false;
  }
}
