import { z } from 'zod';
import type { SmeltError } from '../errors.js';
import { ConfigError } from '../errors.js';
import { projectSchema, type ProjectFile } from './schemas.js';
import type { YamlFile } from './yaml-file.js';

/** dbt's project file: read when a folder has it and no project.yml. */
export const DBT_PROJECT_FILE = 'dbt_project.yml';

const pathList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * dbt_project.yml in smelt's ProjectFile shape. dbt's key names are smelt's (model-paths,
 * seed-paths, vars, models: with `+key` config ...); dbt's older spellings (`source-paths`,
 * `data-paths`) are accepted, keys that only tune dbt itself are accepted and ignored, and
 * `targets:` is not read from here: connections come from profiles.yml.
 */
export const dbtProjectSchema = projectSchema
  .omit({ target: true, targets: true })
  .extend({
    'source-paths': pathList.optional(),
    'data-paths': pathList.optional(),
    'log-path': z.string().optional(),
    'packages-install-path': z.string().optional(),
    'modules-path': z.string().optional(),
    quoting: z.record(z.string(), z.unknown()).optional(),
    dispatch: z.array(z.unknown()).optional(),
    'query-comment': z.unknown().optional(),
    flags: z.record(z.string(), z.unknown()).optional(),
    'restrict-access': z.boolean().optional(),
    'unit_tests': z.record(z.string(), z.unknown()).optional(),
    exposures: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    'semantic-models': z.record(z.string(), z.unknown()).optional(),
    'saved-queries': z.record(z.string(), z.unknown()).optional(),
    analyses: z.record(z.string(), z.unknown()).optional(),
  });

/** Validates a parsed dbt_project.yml; returns the project config or the problems with their lines. */
export function readDbtProject(yaml: YamlFile): { value?: ProjectFile; errors: SmeltError[]; warnings: SmeltError[] } {
  const result = yaml.validate(dbtProjectSchema);
  if (!result.value) return { errors: result.errors, warnings: result.warnings };
  const raw = yaml.value as Record<string, unknown>;
  const {
    'source-paths': sourcePaths, 'data-paths': dataPaths, 'log-path': _log, 'packages-install-path': _packages, 'modules-path': _modules,
    quoting, dispatch, 'query-comment': _comment, flags: _flags, 'restrict-access': _access, unit_tests: _unit, exposures: _exposures,
    metrics: _metrics, 'semantic-models': _semantic, 'saved-queries': _saved, analyses: _analyses, ...rest
  } = result.value;
  const warnings = [...result.warnings];
  // dbt's pre-1.0 names, used only when the current name is not given.
  const config: ProjectFile = {
    ...rest,
    'model-paths': raw['model-paths'] === undefined && sourcePaths ? sourcePaths : rest['model-paths'],
    'seed-paths': raw['seed-paths'] === undefined && dataPaths ? dataPaths : rest['seed-paths'],
    targets: {},
  };
  if (quoting && Object.values(quoting).some((v) => v === false)) {
    warnings.push(new ConfigError('quoting: smelt always quotes relation names; the setting is ignored', { file: DBT_PROJECT_FILE, line: yaml.lineOf(['quoting']) }, 'Results are the same as long as names are lower case.'));
  }
  if (dispatch && dispatch.length > 0) {
    warnings.push(new ConfigError('dispatch: smelt installs no packages, so adapter.dispatch searches only this project; the setting is ignored', { file: DBT_PROJECT_FILE, line: yaml.lineOf(['dispatch']) }));
  }
  return { value: config, errors: [], warnings };
}
