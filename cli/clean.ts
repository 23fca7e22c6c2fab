import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { findProjectRoot, readProjectFile } from '../core/project/load-project.js';
import { DEFAULT_TARGETS } from '../core/project/targets.js';
import { EXIT_OK, guard, type CliState, type CommonFlags } from './common.js';

interface CleanFlags extends CommonFlags {
  all?: boolean;
}

export function registerClean(program: Command, state: CliState): void {
  program
    .command('clean')
    .description('delete the folders listed in clean-targets (default: target/), keeping DuckDB warehouse files')
    .option('--project-dir <dir>', 'folder that holds project.yml')
    .option('--all', 'also delete DuckDB database files that live in those folders')
    .addHelpText('after', '\nExamples:\n  smelt clean\n  smelt clean --all    # start from an empty warehouse too')
    .action(async (flags: CleanFlags) => {
      await guard(state, flags, (output) => {
        const root = findProjectRoot(flags.projectDir ?? state.io.cwd);
        const { config } = readProjectFile(root);
        const targets = Object.keys(config.targets).length > 0 ? config.targets : DEFAULT_TARGETS;
        const keep = new Set<string>();
        if (!flags.all) {
          for (const target of Object.values(targets)) {
            if (target.type === 'duckdb' && target.path !== ':memory:' && !target.path.includes('{{')) {
              const db = resolve(root, target.path);
              keep.add(db);
              keep.add(`${db}.wal`);
            }
          }
        }
        // Never delete the project itself or anything outside it; check every entry before deleting any.
        const paths = config['clean-targets'].map((target) => {
          const path = resolve(root, target);
          const rel = relative(root, path);
          if (rel === '' || rel.startsWith('..')) throw new UsageError(`clean-targets entry '${target}' is outside the project or is the project itself`, { file: 'project.yml' });
          return { path, rel };
        });
        for (const { path, rel } of paths) {
          if (!existsSync(path)) continue;
          const kept = removeExcept(path, keep);
          output.info(kept.length > 0 ? `Cleaned ${rel}/ (kept ${kept.map((k) => relative(root, k)).join(', ')}; use --all to delete it)` : `Removed ${rel}/`);
        }
        return EXIT_OK;
      });
    });
}

/** Removes path, except the files in keep (and the folders that hold them). Returns what was kept. */
function removeExcept(path: string, keep: Set<string>): string[] {
  const inside = [...keep].filter((k) => k.startsWith(`${path}/`) && existsSync(k));
  if (inside.length === 0) {
    rmSync(path, { recursive: true, force: true });
    return [];
  }
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (keep.has(child)) continue;
    if (inside.some((k) => k.startsWith(`${child}/`))) removeExcept(child, keep);
    else rmSync(child, { recursive: true, force: true });
  }
  return inside;
}
