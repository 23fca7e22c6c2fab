import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { findProjectRoot, readProjectFile } from '../core/project/load-project.js';
import { EXIT_OK, guard, projectOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

interface GenerateFlags extends CommonFlags {
  emptyCatalog?: boolean;
}

interface ServeFlags extends CommonFlags {
  port: string;
  host: string;
}

export function registerDocs(program: Command, state: CliState): void {
  const docs = program
    .command('docs')
    .description('generate and serve the static docs site: node pages, lineage graph, column lineage, search')
    .addHelpText('after', '\nExamples:\n  smelt docs generate && smelt docs serve --port 8080\n  open target/docs/index.html     # works from the file too, offline');

  const generate = docs
    .command('generate')
    .description('write the docs site to target/docs/ (column types come from the warehouse when it is reachable)')
    .option('--empty-catalog', 'do not read column types from the warehouse')
    .addHelpText('after', '\nExamples:\n  smelt docs generate\n  smelt docs generate --target postgres\n  smelt docs generate --empty-catalog   # no warehouse needed');
  projectOptions(generate).action(async (flags: GenerateFlags) => {
    await guard(state, flags, async (output) => {
      const { docsGenerateTask } = await import('../core/docs/docs-task.js');
      const started = performance.now();
      const session = sessionFor(flags, state, output);
      const result = await docsGenerateTask(session, { emptyCatalog: flags.emptyCatalog }, output);
      const where = relative(session.root, result.outDir) || result.outDir;
      output.info(
        `Wrote the docs of ${result.nodes} nodes to ${where}/ in ${((performance.now() - started) / 1000).toFixed(2)}s` +
          ` (column lineage for ${result.lineageNodes}, warehouse columns for ${result.warehouseRelations}).`,
      );
      output.info(`Open ${join(where, 'index.html')}, or run: smelt docs serve`);
      output.debug(`timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])))}`);
      return EXIT_OK;
    });
  });

  const serve = docs
    .command('serve')
    .description('serve target/docs/ on 127.0.0.1 until Ctrl-C (opens no browser)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <address>', 'address to bind; the default keeps the docs on this machine', '127.0.0.1')
    .option('--project-dir <dir>', 'folder that holds project.yml (default: this folder or a parent)')
    .option('--debug', 'print stack traces')
    .addHelpText('after', '\nExamples:\n  smelt docs serve\n  smelt docs serve --port 9000');
  serve.action(async (flags: ServeFlags) => {
    await guard(state, flags, async (output) => {
      const { serveDocs } = await import('../core/docs/serve-docs.js');
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not '${flags.port}'`);
      const root = findProjectRoot(flags.projectDir ?? state.io.cwd);
      const docsDir = resolve(root, readProjectFile(root).config['target-path'], 'docs');
      if (!existsSync(join(docsDir, 'index.html'))) {
        throw new UsageError(`There is no docs site in ${relative(root, docsDir) || docsDir}/`, {}, 'Run smelt docs generate first.');
      }
      let server;
      try {
        server = await serveDocs(docsDir, { port, host: flags.host });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`Port ${port} is in use`, {}, 'Pick another with --port, or --port 0 for any free one.');
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`Cannot listen on ${flags.host}: no such address here`);
        throw error;
      }
      output.line(`Serving ${relative(root, docsDir) || docsDir}/ at ${server.url} (Ctrl-C to stop)`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      return EXIT_OK;
    });
  });

  for (const command of docs.commands) command.exitOverride().configureOutput({ writeOut: (s) => state.io.stdout(s), writeErr: (s) => state.io.stderr(s) });
}
