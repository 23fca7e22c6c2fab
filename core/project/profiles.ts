import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import nunjucks from 'nunjucks';
import { ConfigError, type SmeltError } from '../errors.js';
import type { ProjectFile, TargetConfig } from './schemas.js';
import { duckdbTargetSchema, postgresTargetSchema, targetSchema } from './schemas.js';
import { DEFAULT_TARGETS, resolveTarget, type ResolvedTarget } from './targets.js';
import { YamlFile } from './yaml-file.js';

export const PROFILES_FILE = 'profiles.yml';

export interface ProfileOptions {
  /** `--profiles-dir`: the folder holding profiles.yml (it must be there). */
  profilesDir?: string;
  env: NodeJS.ProcessEnv;
  /** The home folder whose `.dbt/profiles.yml` is the last place looked in. */
  home?: string;
}

export interface ProfileTarget {
  target: ResolvedTarget;
  /** The profile read, or undefined when no profiles.yml was found (embedded DuckDB). */
  profileName?: string;
  /** Where the connection came from, as shown to the user. */
  file?: string;
  warnings: SmeltError[];
}

/** Keys of a dbt output that smelt reads, per adapter type, after dbt's aliases are applied. */
const ALIASES: Record<string, string> = { dbname: 'database', pass: 'password' };
const SUPPORTED_TYPES = ['duckdb', 'postgres'];

/**
 * profiles.yml, where dbt keeps connections: `--profiles-dir`, then DBT_PROFILES_DIR, then the
 * project folder, then `~/.dbt/`. Returns undefined when there is none.
 */
export function findProfilesFile(root: string, options: ProfileOptions): string | undefined {
  const explicit = options.profilesDir ?? options.env.DBT_PROFILES_DIR;
  if (explicit !== undefined) {
    const path = join(resolve(root, explicit), PROFILES_FILE);
    if (!existsSync(path)) {
      throw new ConfigError(`No ${PROFILES_FILE} in ${resolve(root, explicit)}`, {}, options.profilesDir !== undefined ? 'Check --profiles-dir.' : 'Check DBT_PROFILES_DIR.');
    }
    return path;
  }
  for (const dir of [root, join(options.home ?? options.env.HOME ?? homedir(), '.dbt')]) {
    const path = join(dir, PROFILES_FILE);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * The target of a dbt project: the profile named by `profile:` in dbt_project.yml, its
 * `target:` (or the one requested), its output mapped to smelt's target config. Every string
 * is rendered with `env_var()` as dbt does. With no profiles.yml: embedded DuckDB.
 */
export function resolveProfileTarget(root: string, project: ProjectFile, requested: string | undefined, options: ProfileOptions): ProfileTarget {
  const path = findProfilesFile(root, options);
  const env = options.env;
  if (!path) {
    const name = requested ?? env.SMELT_TARGET ?? env.DBT_TARGET ?? 'dev';
    if (!DEFAULT_TARGETS[name]) {
      throw new ConfigError(`Target '${name}' needs a ${PROFILES_FILE}, and none was found`, {}, `Put ${PROFILES_FILE} in the project folder or ~/.dbt/, or pass --profiles-dir.`);
    }
    return { target: resolveTarget({ ...project, targets: DEFAULT_TARGETS, target: name }, name, env), warnings: [] };
  }
  const file = path.startsWith(`${resolve(root)}/`) ? path.slice(resolve(root).length + 1) : path;
  const yaml = YamlFile.parse(file, readFileSync(path, 'utf8'));
  const profiles = yaml.value as Record<string, unknown>;
  const profileName = project.profile ?? env.DBT_PROFILE ?? project.name;
  const profile = profiles?.[profileName];
  if (!isRecord(profile)) {
    const names = Object.keys(profiles ?? {}).filter((k) => k !== 'config');
    throw new ConfigError(`Profile '${profileName}' is not in ${file}`, { file, line: 1 }, names.length ? `Profiles there: ${names.join(', ')}. Set profile: in dbt_project.yml.` : `Add a '${profileName}:' profile with target: and outputs:.`);
  }
  const render = renderer(file, env, (path) => yaml.lineOf(path));
  const outputs = profile.outputs;
  if (!isRecord(outputs) || Object.keys(outputs).length === 0) {
    throw new ConfigError(`Profile '${profileName}' has no outputs`, { file, line: yaml.lineOf([profileName]) }, 'Add outputs: with one entry per target, e.g. dev: {type: duckdb, path: dev.duckdb}.');
  }
  const declared = typeof profile.target === 'string' ? render(profile.target, [profileName, 'target']) : undefined;
  const name = requested ?? env.SMELT_TARGET ?? env.DBT_TARGET ?? declared ?? 'default';
  const output = outputs[name];
  if (!isRecord(output)) {
    throw new ConfigError(`Target '${name}' is not an output of profile '${profileName}' in ${file}`, { file, line: yaml.lineOf([profileName, 'outputs']) }, `Outputs: ${Object.keys(outputs).join(', ')}.`);
  }
  const at = (key?: string): number | undefined => yaml.lineOf([profileName, 'outputs', name, ...(key ? [key] : [])]);
  const warnings: SmeltError[] = [];
  const values: Record<string, unknown> = {};
  for (const [rawKey, rawValue] of Object.entries(output)) {
    const key = ALIASES[rawKey] ?? rawKey;
    values[key] = typeof rawValue === 'string' ? render(rawValue, [profileName, 'outputs', name, rawKey]) : rawValue;
  }
  const type = values.type;
  if (typeof type !== 'string' || !SUPPORTED_TYPES.includes(type)) {
    throw new ConfigError(`Target '${name}' has adapter type '${String(type)}', which smelt does not support`, { file, line: at('type') }, `smelt connects to ${SUPPORTED_TYPES.join(' and ')}.`);
  }
  // dbt-duckdb's default database is in memory.
  if (type === 'duckdb' && values.path === undefined) values.path = ':memory:';
  if (type === 'postgres' && typeof values.database === 'string' && values.database === '') delete values.database;
  const schemaKeys = Object.keys(type === 'duckdb' ? duckdbTargetSchema.shape : postgresTargetSchema.shape);
  for (const key of Object.keys(values)) {
    if (schemaKeys.includes(key)) continue;
    const rawKey = Object.keys(output).find((k) => (ALIASES[k] ?? k) === key) ?? key;
    // dbt-duckdb's `database` is the file's name; smelt reads the path.
    if (!(type === 'duckdb' && key === 'database')) {
      warnings.push(new ConfigError(`Target '${name}': '${rawKey}' is not supported by smelt and is ignored`, { file, line: at(rawKey) }));
    }
    delete values[key];
  }
  for (const key of ['port', 'threads', 'connect_timeout']) {
    if (typeof values[key] === 'string' && /^\d+$/.test(values[key] as string)) values[key] = Number(values[key]);
  }
  const parsed = targetSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(`Target '${name}': '${issue.path.join('.')}' ${issue.message}`, { file, line: at(key || undefined) });
  }
  const target = resolveTarget({ ...project, targets: { [name]: parsed.data as TargetConfig }, target: name }, name, env);
  return { target, profileName, file, warnings };
}

/** Renders `{{ env_var('X', 'default') }}` (and dbt's as_* filters) in one profiles.yml value. */
function renderer(file: string, env: NodeJS.ProcessEnv, lineOf: (path: (string | number)[]) => number | undefined): (text: string, path: (string | number)[]) => string {
  const environment = new nunjucks.Environment(null, { autoescape: false, dev: true });
  let where = '';
  let line: number | undefined;
  environment.addGlobal('env_var', (key: string, fallback?: unknown) => {
    const value = env[key];
    if (value === undefined && fallback === undefined) {
      throw new ConfigError(`Environment variable '${key}' used in ${file} (${where}) is not set`, { file, line }, `Export ${key} or give env_var a default.`);
    }
    return value ?? fallback;
  });
  for (const name of ['as_text', 'as_native', 'as_number', 'as_bool', 'string']) environment.addFilter(name, (v: unknown) => v);
  environment.addFilter('int', (v: unknown) => Math.trunc(Number(v)));
  return (text, path) => {
    if (!text.includes('{{') && !text.includes('{%')) return text;
    where = path.join('.');
    line = lineOf(path);
    try {
      return environment.renderString(text, {});
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError(`${file}: '${where}': ${(error as Error).message.replace(/^\([^)]*\)\s*/, '')}`, { file, line });
    }
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
