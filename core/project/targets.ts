import nunjucks from 'nunjucks';
import { ConfigError } from '../errors.js';
import type { ProjectFile, TargetConfig } from './schemas.js';
import { targetSchema } from './schemas.js';

export interface ResolvedTarget {
  name: string;
  config: TargetConfig;
  /** Values that must never be printed or written (passwords, env vars read for secrets). */
  secrets: string[];
}

/** Used when project.yml declares no targets: embedded DuckDB, nothing to install. */
export const DEFAULT_TARGETS: Record<string, TargetConfig> = {
  dev: { type: 'duckdb', path: 'target/smelt.duckdb', schema: 'main' },
};

/**
 * Picks the target (flag, then SMELT_TARGET, then project.yml `target:`, then the first one) and
 * renders `{{ env_var('X', 'default') }}` in its values, so credentials stay out of the file.
 */
export function resolveTarget(project: ProjectFile, requested: string | undefined, env: NodeJS.ProcessEnv): ResolvedTarget {
  const targets = Object.keys(project.targets).length > 0 ? project.targets : DEFAULT_TARGETS;
  const name = requested ?? env.SMELT_TARGET ?? project.target ?? Object.keys(targets)[0]!;
  const raw = targets[name];
  if (!raw) {
    throw new ConfigError(`Target '${name}' is not defined in project.yml`, { file: 'project.yml' }, `Defined targets: ${Object.keys(targets).join(', ')}.`);
  }
  const secrets: string[] = [];
  // dev: keeps the thrown ConfigError as the render error's `cause` (see the catch below).
  const renderer = new nunjucks.Environment(null, { autoescape: false, dev: true });
  renderer.addGlobal('env_var', (key: string, fallback?: unknown) => {
    const value = env[key];
    if (value === undefined && fallback === undefined) {
      throw new ConfigError(`Environment variable '${key}' used by target '${name}' is not set`, { file: 'project.yml' }, `Export ${key} or give env_var a default.`);
    }
    return value ?? fallback;
  });
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' && value.includes('{{')) {
      try {
        const text = renderer.renderString(value, {});
        rendered[key] = /^\d+$/.test(text) && (key === 'port' || key === 'threads') ? Number(text) : text;
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause;
        if (cause instanceof ConfigError) throw cause;
        throw new ConfigError(`Target '${name}', key '${key}': ${(error as Error).message}`, { file: 'project.yml' });
      }
    } else {
      rendered[key] = value;
    }
  }
  const parsed = targetSchema.safeParse(rendered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Target '${name}': '${issue.path.join('.')}' ${issue.message}`, { file: 'project.yml' });
  }
  const config = withConnectionDefaults(parsed.data, env);
  if (config.type === 'postgres' && config.password) secrets.push(config.password);
  secrets.push(...secretEnvValues(env));
  return { name, config, secrets };
}

/** Postgres settings fall back to the standard libpq environment variables, then to local defaults. */
function withConnectionDefaults(config: TargetConfig, env: NodeJS.ProcessEnv): TargetConfig {
  if (config.type !== 'postgres') return config;
  return {
    ...config,
    host: config.host ?? env.PGHOST ?? '127.0.0.1',
    port: Number(config.port ?? env.PGPORT ?? 5432),
    user: config.user ?? env.PGUSER ?? 'postgres',
    password: config.password ?? env.PGPASSWORD,
    database: config.database ?? env.PGDATABASE ?? 'postgres',
  };
}

/** Prefixes that mark an environment variable as a secret (dbt's, and smelt's own). */
export const SECRET_ENV_PREFIXES = ['SMELT_SECRET_', 'DBT_ENV_SECRET_'];

/**
 * The values of secret environment variables: usable in templates like any env_var(), but
 * redacted from everything smelt prints or writes (logs, target/, run results, docs).
 */
export function secretEnvValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([key, value]) => SECRET_ENV_PREFIXES.some((p) => key.startsWith(p)) && typeof value === 'string' && value.length > 0)
    .map(([, value]) => value!);
}
