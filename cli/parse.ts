import type { Command } from 'commander';
import { redactor, writeManifest } from '../core/runner/artifacts.js';
import { EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

export function registerParse(program: Command, state: CliState): void {
  const command = program
    .command('parse')
    .description('load and render the project, write target/manifest.json and refresh the template cache')
    .addHelpText('after', '\nExample:\n  smelt parse && cat target/manifest.json | head');
  projectOptions(command).action(async (flags: CommonFlags) => {
    await guard(state, flags, (output) => {
      const started = performance.now();
      const session = sessionFor(flags, state, output);
      writeManifest(session.targetPath, session.compiled.manifest, redactor(session.target.secrets));
      const nodes = Object.keys(session.compiled.manifest.nodes).length;
      output.info(`Parsed ${nodes} nodes in ${((performance.now() - started) / 1000).toFixed(2)}s; wrote ${session.project.config['target-path']}/manifest.json`);
      return EXIT_OK;
    });
  });
}
