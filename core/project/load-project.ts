import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, ErrorCollector, type SmeltError } from '../errors.js';
import { DBT_PROJECT_FILE, readDbtProject } from './dbt-project.js';
import { discoverFiles } from './discover.js';
import { projectSchema, propertiesFileSchema, type ProjectFile, type PropertiesFile } from './schemas.js';
import { PrecompiledTemplates } from '../template/template-precompile.js';
import { templateCachePath } from '../template/template-cache.js';
import { YamlCache } from './yaml-cache.js';
import { YamlFile } from './yaml-file.js';
import { configFolderPaths, folderParts } from './folder-config.js';
import { didYouMean } from '../util/suggest.js';

export const PROJECT_FILE = 'project.yml';

export interface ProjectSourceFile {
  /** Relative to the project root, forward slashes. */
  path: string;
  text: string;
}

export interface PropertiesSource {
  yaml: YamlFile;
  value: PropertiesFile;
}

export interface DocsBlock {
  name: string;
  text: string;
  path: string;
  line: number;
}

/** Everything read from disk for one project: the input of the render stage. */
export interface Project {
  root: string;
  config: ProjectFile;
  /** project.yml, or dbt_project.yml for a dbt project (whose connection comes from profiles.yml). */
  file?: string;
  name: string;
  models: ProjectSourceFile[];
  macros: ProjectSourceFile[];
  snapshots: ProjectSourceFile[];
  /** Singular data tests: .sql files under test-paths. */
  tests: ProjectSourceFile[];
  /** CSV files under seed-paths (relative paths; contents are streamed when loaded). */
  seeds: string[];
  properties: PropertiesSource[];
  /** dbt's docs blocks (`{% docs name %}...{% enddocs %}` in .md files), for `{{ doc('name') }}` in descriptions. */
  docs: DocsBlock[];
  warnings: SmeltError[];
  /**
   * Template code being generated on another thread (first compile of a big project, see
   * template-precompile.ts); the render stage takes it or discards it.
   */
  precompiled?: PrecompiledTemplates;
}

/** The project file in `dir`: project.yml, else dbt's dbt_project.yml, else undefined. */
export function projectFileIn(dir: string): typeof PROJECT_FILE | typeof DBT_PROJECT_FILE | undefined {
  if (existsSync(join(dir, PROJECT_FILE))) return PROJECT_FILE;
  if (existsSync(join(dir, DBT_PROJECT_FILE))) return DBT_PROJECT_FILE;
  return undefined;
}

/** Walks up from `start` to the folder holding project.yml (or a dbt project's dbt_project.yml). */
export function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (projectFileIn(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ConfigError(`No ${PROJECT_FILE} found (nor a dbt project's ${DBT_PROJECT_FILE}) in ${resolve(start)} or any parent folder`, {}, 'Run smelt inside a project, pass --project-dir, or create one with `smelt init NAME`.');
    }
    dir = parent;
  }
}

export function readProjectFile(root: string): { config: ProjectFile; yaml: YamlFile; warnings: SmeltError[]; file: string } {
  const file = projectFileIn(root) ?? PROJECT_FILE;
  const path = join(root, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`Cannot read ${file}`, { file }, 'Check that the file exists and is readable.');
  }
  const yaml = YamlFile.parse(file, text);
  if (yaml.value === null || typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
    throw new ConfigError(`${file} must be a mapping of keys to values`, { file, line: 1 }, 'Start with `name: my_project`.');
  }
  const result = file === DBT_PROJECT_FILE ? readDbtProject(yaml) : yaml.validate(projectSchema);
  const errors = new ErrorCollector();
  result.errors.forEach((e) => errors.add(e));
  errors.throwIfAny();
  return { config: result.value!, yaml, warnings: result.warnings, file };
}

/** Reads project.yml, discovers every file and parses every YAML property file. Collects all problems. */
export function loadProject(root: string): Project {
  const { config, warnings, file, yaml: projectYaml } = readProjectFile(root);
  const collector = new ErrorCollector();
  warnings.forEach((w) => collector.warn(w));
  const read = (paths: string[]): ProjectSourceFile[] => paths.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));

  const modelPaths = config['model-paths'];
  // SQL first: on a first compile, its templates are compiled on another thread while the
  // YAML below is parsed on this one.
  const models = read(discoverFiles(root, modelPaths, ['.sql']));
  const tests = read(discoverFiles(root, config['test-paths'], ['.sql']));
  const targetPath = resolve(root, config['target-path']);
  const precompiled = models.length + tests.length >= PrecompiledTemplates.THRESHOLD && !existsSync(templateCachePath(targetPath)) ? PrecompiledTemplates.start([...models, ...tests]) : undefined;

  const properties: PropertiesSource[] = [];
  const yamlDirs = [...modelPaths, ...config['seed-paths'], ...config['snapshot-paths'], ...config['macro-paths'], ...config['test-paths']];
  const yamlCache = YamlCache.open(targetPath);
  for (const path of discoverFiles(root, yamlDirs, ['.yml', '.yaml'])) {
    collector.attempt(() => {
      const yaml = yamlCache.parse(path, readFileSync(join(root, path), 'utf8'));
      if (yaml.value === null || typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
        if (yaml.value === null || (typeof yaml.value === 'object' && Object.keys(yaml.value as object).length === 0)) return;
        throw new ConfigError('A property file must be a mapping (version: 2, models: [...])', { file: path, line: 1 });
      }
      const result = yaml.validate(propertiesFileSchema);
      result.warnings.forEach((w) => collector.warn(w));
      result.errors.forEach((e) => collector.add(e));
      if (result.value) properties.push({ yaml, value: result.value });
    });
  }

  const snapshots = read(discoverFiles(root, config['snapshot-paths'], ['.sql']));
  const seeds = discoverFiles(root, config['seed-paths'], ['.csv']);
  // dbt warns about config paths that apply to nothing: a misspelt folder (gld: for gold:)
  // would otherwise leave its models on the defaults without a word. A path may also end in a
  // resource's own name (`models: {gold: {fact_sales: {...}}}`), as in dbt: each file counts as
  // its folders plus its name. Snapshots are not checked: their names are known only once their
  // files are parsed.
  const sections = [
    { key: 'models', roots: modelPaths, files: models.map((f) => f.path) },
    { key: 'seeds', roots: config['seed-paths'], files: seeds },
  ] as const;
  for (const section of sections) {
    const folders = section.files.map((path) => [...folderParts(path, section.roots), basename(path).replace(/\.[^.]+$/, '')]);
    const tree = (config as Record<string, unknown>)[section.key];
    if (!tree || typeof tree !== 'object') continue;
    for (const { folders: path, at } of configFolderPaths(tree as Record<string, unknown>, config.name)) {
      if (folders.some((f) => path.every((part, i) => f[i] === part))) continue;
      const siblings = new Set(folders.filter((f) => f.length >= path.length && path.slice(0, -1).every((part, i) => f[i] === part)).map((f) => f[path.length - 1]!));
      const line = projectYaml.lineOf([section.key, ...at]);
      collector.warn(new ConfigError(`${section.key}: ${path.join('.')} in ${file} applies to no folder under ${section.roots.join(', ')}`, { file, ...(line ? { line } : {}) }, didYouMean(path.at(-1)!, siblings) ?? 'Check the folder names, or remove the entry.'));
    }
  }

  // Docs blocks live in .md files under docs-paths, or, as dbt has it, under every resource path.
  const docsDirs = config['docs-paths'] ?? [...new Set([...modelPaths, ...config['seed-paths'], ...config['snapshot-paths'], ...config['macro-paths'], ...config['test-paths']])];
  const docs = new Map<string, DocsBlock>();
  for (const path of discoverFiles(root, docsDirs, ['.md'])) {
    for (const block of docsBlocks(path, readFileSync(join(root, path), 'utf8'))) {
      const twin = docs.get(block.name);
      if (twin) collector.add(new ConfigError(`The docs block '${block.name}' is defined twice: in ${twin.path}:${twin.line} and here`, { file: path, line: block.line }, 'Give one of them another name.'));
      else docs.set(block.name, block);
    }
  }

  const project: Project = {
    root,
    config,
    file,
    name: config.name,
    models,
    macros: read(discoverFiles(root, config['macro-paths'], ['.sql'])),
    snapshots,
    tests,
    seeds,
    properties,
    docs: [...docs.values()],
    warnings: collector.warnings,
  };
  if (precompiled) project.precompiled = precompiled;
  yamlCache.save();
  if (collector.errors.length > 0) precompiled?.discard();
  collector.throwIfAny();
  return project;
}

/** The `{% docs name %}...{% enddocs %}` blocks of a Markdown file, each with its line. */
export function docsBlocks(path: string, text: string): DocsBlock[] {
  const blocks: DocsBlock[] = [];
  for (const match of text.matchAll(/\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g)) {
    blocks.push({ name: match[1]!, text: match[2]!.trim(), path, line: text.slice(0, match.index).split('\n').length });
  }
  return blocks;
}
