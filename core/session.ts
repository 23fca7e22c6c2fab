import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Dialect } from './adapters/dialect.js';
import { UsageError } from './errors.js';
import { compileProject, type CompileResult } from './manifest/compile-project.js';
import { findProjectRoot, loadProject, type Project } from './project/load-project.js';
import { DBT_PROJECT_FILE } from './project/dbt-project.js';
import { resolveProfileTarget } from './project/profiles.js';
import { resolveTarget, type ResolvedTarget } from './project/targets.js';
import type { RunContext, TargetInfo } from './template/context.js';
import { SMELT_VERSION } from './version.js';

export interface SessionOptions {
  projectDir?: string;
  target?: string;
  /** `--vars` as given on the command line (YAML or JSON), or already parsed. */
  vars?: string | Record<string, unknown>;
  threads?: number;
  fullRefresh?: boolean;
  /** A dbt project's profiles.yml folder (`--profiles-dir`). */
  profilesDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

/** A loaded and compiled project with its target: what every command starts from. No database yet. */
export interface Session {
  root: string;
  project: Project;
  target: ResolvedTarget;
  run: RunContext;
  compiled: CompileResult;
  threads: number;
  targetPath: string;
}

export function parseVars(vars: string | Record<string, unknown> | undefined): Record<string, unknown> {
  if (vars === undefined) return {};
  if (typeof vars !== 'string') return vars;
  let parsed: unknown;
  try {
    parsed = parseYaml(vars);
  } catch (error) {
    throw new UsageError(`--vars is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, {}, `Example: --vars '{start_date: 2024-01-01}'`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--vars must be a mapping', {}, `Example: --vars '{start_date: 2024-01-01}'`);
  return parsed as Record<string, unknown>;
}

export function openSession(options: SessionOptions = {}): Session {
  const env = options.env ?? process.env;
  const root = findProjectRoot(options.projectDir ?? process.cwd());
  const project = loadProject(root);
  // A dbt project connects through profiles.yml, as dbt does.
  const profile = project.file === DBT_PROJECT_FILE ? resolveProfileTarget(root, project.config, options.target, { profilesDir: options.profilesDir, env }) : undefined;
  project.warnings.push(...(profile?.warnings ?? []));
  const target = profile?.target ?? resolveTarget(project.config, options.target, env);
  const threads = options.threads ?? target.config.threads ?? 4;
  const vars = { ...flattenProjectVars(project.config.vars, project.name), ...parseVars(options.vars) };
  const dialect = new Dialect(target.config.type);
  const targetInfo: TargetInfo = {
    name: target.name,
    type: target.config.type,
    schema: target.config.schema,
    threads,
    profile_name: profile?.profileName ?? project.name,
    ...(target.config.type === 'postgres'
      ? { database: target.config.database, host: target.config.host, port: target.config.port, user: target.config.user }
      : { path: target.config.path }),
  };
  const run: RunContext = {
    projectName: project.name,
    target: targetInfo,
    vars,
    env,
    runStartedAt: new Date(),
    invocationId: randomUUID(),
    fullRefresh: options.fullRefresh ?? false,
    quote: (identifier) => dialect.quote(identifier),
    log: options.log,
  };
  const targetPath = resolve(root, project.config['target-path']);
  const compiled = compileProject({ project, run, targetName: target.name, smeltVersion: SMELT_VERSION, targetPath, secrets: target.secrets });
  return { root, project, target, run, compiled, threads, targetPath };
}

/** dbt allows vars scoped under the project's name; those apply to this project. */
function flattenProjectVars(vars: Record<string, unknown>, projectName: string): Record<string, unknown> {
  const scoped = vars[projectName];
  if (scoped && typeof scoped === 'object' && !Array.isArray(scoped)) {
    const { [projectName]: _drop, ...rest } = vars;
    return { ...rest, ...(scoped as Record<string, unknown>) };
  }
  return vars;
}
