import type { Project, PropertiesSource } from '../project/load-project.js';
import { projectSchema, propertiesFileSchema } from '../project/schemas.js';
import { YamlFile } from '../project/yaml-file.js';
import type { RunContext } from '../template/context.js';
import { quoteDoubled } from '../template/relation.js';

// Test support for the compile stage: in-memory projects without a folder on disk.

/** An in-memory project: project.yml settings plus files by path (models/, macros/, *.yml). */
export function project(files: Record<string, string>, config: Record<string, unknown> = {}): Project {
  const at = (dir: string, ext: string) =>
    Object.entries(files)
      .filter(([path]) => path.startsWith(`${dir}/`) && path.endsWith(ext))
      .map(([path, text]) => ({ path, text }))
      .sort((a, b) => a.path.localeCompare(b.path));
  const properties: PropertiesSource[] = Object.entries(files)
    .filter(([path]) => path.endsWith('.yml'))
    .map(([path, text]) => {
      const yaml = YamlFile.parse(path, text);
      const result = yaml.validate(propertiesFileSchema);
      if (result.errors.length > 0) throw result.errors[0];
      return { yaml, value: result.value! };
    });
  return {
    root: '/nowhere',
    config: projectSchema.parse({ name: 'shop', ...config }),
    name: 'shop',
    models: at('models', '.sql'),
    macros: at('macros', '.sql'),
    snapshots: [],
    tests: [],
    seeds: [],
    properties,
    docs: [],
    warnings: [],
  };
}

export function runContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    projectName: 'shop',
    target: { name: 'dev', type: 'duckdb', schema: 'analytics', threads: 1 },
    vars: {},
    env: {},
    runStartedAt: new Date('2024-05-06T07:08:09.123Z'),
    invocationId: 'inv-1',
    fullRefresh: false,
    quote: quoteDoubled,
    ...overrides,
  };
}

