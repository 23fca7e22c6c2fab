import { basename } from 'node:path';
import { CompileError, ConfigError, DependencyError, ErrorCollector, type SmeltError } from '../errors.js';
import { Dag } from '../graph/dag.js';
import { folderConfigFor, folderParts, mergeConfig } from '../project/folder-config.js';
import type { Project, ProjectSourceFile } from '../project/load-project.js';
import type { ColumnProperties, ModelProperties, SourceProperties } from '../project/schemas.js';
import type { YamlFile } from '../project/yaml-file.js';
import { TemplateContext, type NodeHooks, type RenderInput, type RunContext } from '../template/context.js';
import { TemplateEnvironment } from '../template/environment.js';
import { isSmallTemplateCache, primeTemplateCache, saveTemplateCache } from '../template/template-cache.js';
import { cteName, inlineCtes, type Cte } from '../template/inline-ctes.js';
import { TemplateRelation } from '../template/relation.js';
import { collectSnapshots } from '../snapshots/snapshot-files.js';
import { snapshotConfig } from '../snapshots/snapshot-config.js';
import { compileTests } from '../testing/compile-tests.js';
import { sha256 } from '../util/hash.js';
import { didYouMean } from '../util/suggest.js';
import { RenderCache, renderScope, type RenderEntry } from './render-cache.js';
import type { ColumnInfo, CompiledNode, Manifest, Materialization, NodeConfig, RelationName, SourceNode } from './types.js';

/** Templates to render above which the cache of generated template code is worth loading. */
const TEMPLATE_CACHE_THRESHOLD = 100;
/** Size of templates.json up to which it is loaded for the few renders after compile. */
const RUN_TIME_TEMPLATE_CACHE_BYTES = 256 * 1024;

export const MATERIALIZATIONS: readonly Materialization[] = ['view', 'table', 'ephemeral', 'incremental', 'cdc_current', 'cdc_history'];

export interface CompileOptions {
  project: Project;
  /** target/ folder: when set, compiled templates are cached there between processes. */
  targetPath?: string;
  run: RunContext;
  targetName: string;
  smeltVersion: string;
  /** Values never written to target/ (passwords, secret env vars): renders holding one are not cached. */
  secrets?: readonly string[];
}

export interface CompileResult {
  manifest: Manifest;
  dag: Dag;
  warnings: SmeltError[];
  /** The template layer, kept for later renders (incremental runs, hooks, --inline). */
  templates: CompiledTemplates;
}

/** Lets later stages render more SQL with the same macros and context. */
export interface CompiledTemplates {
  context: TemplateContext;
  environment: TemplateEnvironment;
  /** Renders a node's SQL again (for is_incremental() at run time). */
  renderNode(node: CompiledNode, options: { isIncremental: boolean }): string;
  /**
   * Renders SQL that is not a file of the project (`compile --inline`, `show --inline`, hooks,
   * run-operation) with the full context: refs resolve to final relations, ephemerals inline.
   */
  renderInline(text: string, path?: string): string;
  /** Renders a snippet (a pre-hook or post-hook) in a node's context: `this` is that node. */
  renderForNode(node: CompiledNode, text: string): string;
  /**
   * Keeps the code of templates compiled since compiling (is_incremental() renders, hooks) in a
   * small template cache, so the next run loads it instead of compiling them again. Never throws.
   */
  saveRunTimeCode(): void;
}

interface Candidate {
  name: string;
  uniqueId: string;
  resourceType: 'model' | 'seed' | 'snapshot';
  file: ProjectSourceFile;
  /** Snapshots: the line of their file on which they start. */
  startLine?: number;
  folders: string[];
  config: Record<string, unknown>;
  properties?: { value: ModelProperties; yaml: YamlFile; index: number; key: string };
  refs: string[];
  sources: string[];
  macros: Set<string>;
  vars: Map<string, unknown>;
  /** Pass 1's output, reused as the final SQL when nothing it depends on differs in pass 2. */
  pass1Sql?: string;
  /** The template read config.get/model, whose values can differ between the passes. */
  contextSensitive?: boolean;
  /** Outside values the render read (vars, env vars, target fields, flags), for the render cache. */
  inputs: Map<string, RenderInput>;
  /** The render read something that differs on every invocation: never cached. */
  volatile?: boolean;
  /** Render-cache key parts: the file's hash and the config the model started from. */
  textHash?: string;
  baseConfig?: string;
  /** A cached render whose file and inputs are unchanged (its relations are checked in pass 2). */
  cached?: RenderEntry;
}

/**
 * load -> render -> graph -> manifest. Renders every model twice: once to learn its config and
 * dependencies (refs resolve to placeholders), once with every relation's final name. Problems
 * are collected across all files and thrown together.
 */
export function compileProject(options: CompileOptions): CompileResult {
  const { project, run } = options;
  const errors = new ErrorCollector();
  project.warnings.forEach((w) => errors.warn(w));

  const environment = new TemplateEnvironment(project.name);
  environment.loadMacros(project.macros, errors);
  let primed: number | undefined;
  const targetPath = options.targetPath;
  const context = new TemplateContext(environment, run);
  const cache = RenderCache.open(targetPath, renderScope(project, run), options.secrets);

  // dbt renders Jinja in a source's schema, database and identifier: `schema: "{{ target.schema }}"`.
  const renderName = (text: string, path: string): string => (text.includes('{{') || text.includes('{%') ? context.renderText({ path, text }).trim() : text);
  const sources = collectSources(project, run, errors, renderName);
  const candidates = collectCandidates(project, errors);
  attachProperties(project, candidates, errors);
  renderFolderConfig(candidates, (text) => context.renderText({ path: 'project.yml', text }), errors);

  // Pass 1: config and dependencies. A model that fails here is not rendered again in pass 2,
  // which would only report the same error twice.
  const failed = new Set<string>();
  const toRender = [...candidates.values()].filter((c) => c.resourceType !== 'seed' && !(c.resourceType === 'model' && reuseRender(c, cache, run)));
  // Generated template code (templates.json, as large as the project) is loaded, on the first
  // template that needs it, only when many must be rendered: one template compiles in about a
  // millisecond, loading the whole cache takes a few hundred on 10,000 models.
  const precompiled = project.precompiled;
  if (precompiled) {
    // A first compile: the code was generated on another thread meanwhile (no cache to load).
    environment.loadCompiledSources = () => {
      environment.primeCompiledSources(precompiled.take());
      primed = 0;
    };
  } else if (targetPath && toRender.length + project.tests.length > TEMPLATE_CACHE_THRESHOLD) {
    environment.loadCompiledSources = () => {
      primeTemplateCache(environment, targetPath);
      primed = environment.compiledSources.size;
    };
  }
  for (const candidate of toRender) {
    const ok = errors.attempt(() => {
      const hooks = parseHooks(candidate, candidates, sources, run);
      const sql = context.renderNode(candidate.file, hooks, candidate.uniqueId);
      if (candidate.resourceType === 'model') candidate.pass1Sql = sql;
      return true;
    });
    if (!ok) failed.add(candidate.uniqueId);
  }

  // Relations, now that every config() call has been seen.
  const relations = new Map<string, RelationName>();
  for (const candidate of candidates.values()) {
    const config = candidate.config;
    if (config.enabled === false) continue;
    errors.attempt(() => {
      relations.set(candidate.uniqueId, {
        ...(typeof config.database === 'string' ? { database: config.database } : {}),
        schema: schemaFor(candidate, environment, context, run),
        identifier: typeof config.alias === 'string' ? config.alias : candidate.name,
      });
    });
    // Not built, but its relation stays known: a model that refs it compiles (and says nothing more).
    if (!errors.attempt(() => checkConfigTypes(candidate))) failed.add(candidate.uniqueId);
    else if (candidate.resourceType === 'model') {
      const materialized = (config.materialized ?? 'view') as string;
      if (!MATERIALIZATIONS.includes(materialized as Materialization)) {
        errors.add(new ConfigError(`Unknown materialization '${materialized}'`, { file: candidate.file.path, node: candidate.uniqueId }, `Use one of: ${MATERIALIZATIONS.join(', ')}.`));
        failed.add(candidate.uniqueId);
      }
    }
  }

  // Pass 2: final SQL.
  const nodes: Record<string, CompiledNode> = {};
  const rendered = new Map<string, string>();
  for (const candidate of candidates.values()) {
    if (candidate.config.enabled === false || failed.has(candidate.uniqueId)) continue;
    const relation = relations.get(candidate.uniqueId);
    if (!relation) continue;
    errors.attempt(() => {
      const node = toNode(candidate, relation, run.target.schema, environment);
      if (candidate.resourceType === 'snapshot') {
        snapshotConfig(node);
        const hooks = compileHooks(candidate, node, candidates, relations, sources, run, false);
        rendered.set(candidate.uniqueId, context.renderNode(candidate.file, hooks, candidate.uniqueId).trim());
      } else if (candidate.resourceType === 'model') {
        const fingerprint = dependencyFingerprint(candidate, candidates, relations, sources);
        if (candidate.cached && candidate.cached.fingerprint === fingerprint) {
          rendered.set(candidate.uniqueId, candidate.cached.sql);
        } else if (candidate.pass1Sql !== undefined && pass1IsFinal(candidate, candidates, relations, run)) {
          rendered.set(candidate.uniqueId, candidate.pass1Sql);
        } else {
          const hooks = compileHooks(candidate, node, candidates, relations, sources, run, false);
          rendered.set(candidate.uniqueId, context.renderNode(candidate.file, hooks, candidate.uniqueId));
        }
        if (candidate.cached?.fingerprint === fingerprint) cache.keep(candidate.uniqueId, candidate.cached);
        else if (!candidate.volatile) cache.keep(candidate.uniqueId, toEntry(candidate, node, fingerprint, rendered.get(candidate.uniqueId)!));
      }
      nodes[node.uniqueId] = node;
    });
  }
  // Data tests (generic, singular, unit) read the nodes above; their SQL gets ephemerals inlined below.
  // What failed above is reported: tests of it would only repeat that as "no such model".
  const broken = new Set([...candidates.values()].filter((c) => c.config.enabled !== false && !nodes[c.uniqueId]).map((c) => c.name));
  Object.assign(nodes, compileTests({ project, nodes, broken, sources, rendered, context, environment, run, errors }));
  renderDescriptions(project, nodes, sources, environment, context, errors);

  const parentMap: Record<string, string[]> = {};
  for (const node of Object.values(nodes)) parentMap[node.uniqueId] = node.dependsOn.nodes;
  for (const source of Object.values(sources)) parentMap[source.uniqueId] = [];
  cache.save();
  precompiled?.discard();
  if (targetPath && primed !== undefined) {
    // Templates whose renders came from the cache keep their generated code for later.
    const retain = new Set<string>();
    for (const candidate of candidates.values()) if (candidate.cached) retain.add(environment.templateHash(candidate.file.text));
    saveTemplateCache(environment, targetPath, primed, retain);
  }
  // Templates rendered after compiling (an incremental model with is_incremental() true, hooks)
  // come from the cache when it is small: loading it then costs less than nunjucks' first
  // compile in a process (about 4 ms). A large one is not loaded for a few templates.
  if (targetPath && !environment.loadCompiledSources && primed === undefined) {
    environment.loadCompiledSources = () => primeTemplateCache(environment, targetPath, { maxBytes: RUN_TIME_TEMPLATE_CACHE_BYTES });
  }
  const generatedWhileCompiling = environment.generated;
  const dag = Dag.fromParentMap(parentMap);
  // The topological sort finds out whether there is a cycle; only then is one traced.
  const acyclic = dag.isAcyclic();
  if (!acyclic) errors.add(cycleError(dag.findCycle(), nodes));
  errors.throwIfAny();
  const order = dag.topologicalOrder();

  const hasEphemerals = Object.values(nodes).some((node) => node.config.materialized === 'ephemeral');
  for (const id of order) {
    const node = nodes[id];
    if (!node || !rendered.has(id)) continue;
    node.compiledSql = hasEphemerals ? inlineCtes(rendered.get(id)!, ephemeralCtes(id, nodes, rendered, dag)) : rendered.get(id)!;
  }

  const childMap: Record<string, string[]> = {};
  for (const id of Object.keys(parentMap)) childMap[id] = [];
  for (const [child, parents] of Object.entries(parentMap)) for (const parent of parents) childMap[parent]?.push(child);

  const manifest: Manifest = {
    metadata: {
      smeltVersion: options.smeltVersion,
      generatedAt: new Date().toISOString(),
      projectName: project.name,
      targetName: options.targetName,
      adapterType: run.target.type,
      invocationId: run.invocationId,
    },
    nodes,
    sources,
    macros: Object.fromEntries([...environment.macros.values()].map((m) => [m.uniqueId, m])),
    parentMap,
    childMap,
  };

  const templates: CompiledTemplates = {
    context,
    environment,
    saveRunTimeCode() {
      // The first of those renders loaded the cache, when small: it keeps everything known now.
      if (!targetPath || environment.generated === generatedWhileCompiling || !isSmallTemplateCache(targetPath, RUN_TIME_TEMPLATE_CACHE_BYTES)) return;
      try {
        saveTemplateCache(environment, targetPath, -1, new Set(environment.compiledSources.keys()));
      } catch {
        // A cache: a read-only target/ must not fail the command.
      }
    },
    renderNode(node, { isIncremental }) {
      const candidate = candidates.get(node.uniqueId)!;
      const hooks = compileHooks(candidate, node, candidates, relations, sources, run, isIncremental);
      return inlineCtes(context.renderNode(candidate.file, hooks, node.uniqueId), ephemeralCtes(node.uniqueId, nodes, rendered, dag));
    },
    renderForNode(node, text) {
      const candidate = candidates.get(node.uniqueId);
      if (!candidate) return text;
      const hooks = compileHooks(candidate, node, candidates, relations, sources, run, false);
      return context.renderNode({ path: `${node.path} (hook)`, text }, hooks, node.uniqueId);
    },
    renderInline(text, path = '<inline>') {
      const candidate: Candidate = {
        name: 'inline', uniqueId: `sql_operation.${project.name}.inline`, resourceType: 'model', file: { path, text }, folders: [],
        config: {}, refs: [], sources: [], macros: new Set(), vars: new Map(), inputs: new Map(),
      };
      const node = toNode(candidate, { schema: run.target.schema, identifier: 'inline' }, run.target.schema, environment);
      const hooks = compileHooks(candidate, node, candidates, relations, sources, run, false);
      const refs: string[] = [];
      const sql = context.renderNode(candidate.file, { ...hooks, ref: (name) => { refs.push(findRefTarget(name, candidate, candidates).uniqueId); return hooks.ref(name); } }, candidate.uniqueId);
      // Ephemeral models the snippet refs, with their own ephemeral parents first.
      const ctes: Cte[] = [];
      for (const id of refs) {
        if (nodes[id]?.config.materialized !== 'ephemeral') continue;
        for (const cte of [...ephemeralCtes(id, nodes, rendered, dag), { name: cteName(nodes[id]!.name), sql: rendered.get(id)! }]) {
          if (!ctes.some((c) => c.name === cte.name)) ctes.push(cte);
        }
      }
      return inlineCtes(sql, ctes);
    },
  };
  return { manifest, dag, warnings: errors.warnings, templates };
}

// ---------------------------------------------------------------------------------------------

function collectCandidates(project: Project, errors: ErrorCollector): Map<string, Candidate> {
  const byName = new Map<string, Candidate>();
  const byId = new Map<string, Candidate>();
  const add = (candidate: Candidate): void => {
    const existing = byName.get(candidate.name);
    if (existing) {
      errors.add(new DependencyError(
        `Two ${candidate.resourceType === existing.resourceType ? `${candidate.resourceType}s` : 'nodes'} are named '${candidate.name}': ${existing.file.path} and ${candidate.file.path}`,
        { file: candidate.file.path, line: 1, node: candidate.uniqueId },
        'Node names must be unique across folders: rename one file (or set an alias in its config).',
      ));
      return;
    }
    byName.set(candidate.name, candidate);
    byId.set(candidate.uniqueId, candidate);
  };
  for (const file of project.models) {
    const name = basename(file.path, '.sql');
    const folders = folderParts(file.path, project.config['model-paths']);
    add({
      name,
      uniqueId: `model.${project.name}.${name}`,
      resourceType: 'model',
      file,
      folders,
      config: folderConfigFor(project.config.models, project.name, folders, name),
      refs: [],
      sources: [],
      macros: new Set(),
      vars: new Map(),
      inputs: new Map(),
    });
  }
  for (const path of project.seeds) {
    const name = basename(path, '.csv');
    const folders = folderParts(path, project.config['seed-paths']);
    add({
      name,
      uniqueId: `seed.${project.name}.${name}`,
      resourceType: 'seed',
      file: { path, text: '' },
      folders,
      config: { ...folderConfigFor(project.config.seeds, project.name, folders, name), materialized: 'seed' },
      refs: [],
      sources: [],
      macros: new Set(),
      vars: new Map(),
      inputs: new Map(),
    });
  }
  for (const snapshot of collectSnapshots(project, errors)) {
    add({
      name: snapshot.name,
      uniqueId: `snapshot.${project.name}.${snapshot.name}`,
      resourceType: 'snapshot',
      file: { path: snapshot.path, text: snapshot.text },
      startLine: snapshot.startLine,
      folders: snapshot.folders,
      config: { ...folderConfigFor(project.config.snapshots, project.name, snapshot.folders, snapshot.name), materialized: 'snapshot' },
      refs: [],
      sources: [],
      macros: new Set(),
      vars: new Map(),
      inputs: new Map(),
    });
  }
  return byId;
}

function attachProperties(project: Project, candidates: Map<string, Candidate>, errors: ErrorCollector): void {
  const byName = new Map([...candidates.values()].map((c) => [`${c.resourceType}:${c.name}`, c]));
  for (const { yaml, value } of project.properties) {
    for (const key of ['models', 'seeds', 'snapshots'] as const) {
      const type = key === 'models' ? 'model' : key === 'seeds' ? 'seed' : 'snapshot';
      (value[key] ?? []).forEach((props, index) => {
        const candidate = byName.get(`${type}:${props.name}`);
        // Lines are looked up only for a problem: a cached YAML file parses its syntax tree then.
        const line = () => yaml.lineOf([key, index, 'name']);
        if (!candidate) {
          errors.warn(new ConfigError(`${yaml.path} describes ${type} '${props.name}', which does not exist`, { file: yaml.path, line: line() }, didYouMean(props.name, [...candidates.values()].filter((c) => c.resourceType === type).map((c) => c.name))));
          return;
        }
        if (candidate.properties) {
          errors.add(new ConfigError(`${type} '${props.name}' is described twice: in ${candidate.properties.yaml.path} and ${yaml.path}`, { file: yaml.path, line: line(), node: candidate.uniqueId }, 'Keep one entry per node.'));
          return;
        }
        candidate.properties = { value: props, yaml, index, key };
        candidate.config = mergeConfig(candidate.config, { ...props.config, ...(props.tags ? { tags: props.tags } : {}) });
      });
    }
  }
}

function collectSources(project: Project, run: RunContext, errors: ErrorCollector, renderName: (text: string, path: string) => string = (text) => text): Record<string, SourceNode> {
  const sources: Record<string, SourceNode> = {};
  for (const { yaml, value } of project.properties) {
    (value.sources ?? []).forEach((source: SourceProperties, sourceIndex) => {
      source.tables.forEach((table, tableIndex) => {
        const uniqueId = `source.${project.name}.${source.name}.${table.name}`;
        if (sources[uniqueId]) {
          const line = yaml.lineOf(['sources', sourceIndex, 'tables', tableIndex, 'name']);
          errors.add(new ConfigError(`Source '${source.name}.${table.name}' is declared twice`, { file: yaml.path, line }, 'Declare each source table once.'));
          return;
        }
        const tags = [...(source.tags ?? []), ...(table.tags ?? [])];
        sources[uniqueId] = {
          uniqueId,
          resourceType: 'source',
          name: table.name,
          sourceName: source.name,
          packageName: project.name,
          path: yaml.path,
          patchPath: yaml.path,
          fqn: [project.name, source.name, table.name],
          description: table.description ?? '',
          tags,
          columns: toColumns(table.columns),
          meta: { ...source.meta, ...table.meta },
          relation: {
            ...(source.database ? { database: renderName(source.database, yaml.path) } : {}),
            schema: renderName(source.schema ?? source.name, yaml.path),
            identifier: renderName(table.identifier ?? table.name, yaml.path),
          },
          ...(source.loader ? { loader: source.loader } : {}),
          ...(table.loaded_at_field ?? source.loaded_at_field ? { loadedAtField: table.loaded_at_field ?? source.loaded_at_field } : {}),
          config: { enabled: true, tags, ...source.config, ...table.config, ...(table.cdc !== undefined ? { cdc: table.cdc } : {}), ...freshnessOf(source, table) },
        };
      });
    });
  }
  void run;
  return sources;
}

/** dbt: a table's `freshness` overrides its source's; `freshness: null` on the table turns it off. */
function freshnessOf(source: SourceProperties, table: SourceProperties['tables'][number]): { freshness?: unknown } {
  if ('freshness' in table) return table.freshness === null ? {} : { freshness: table.freshness };
  return source.freshness !== undefined && source.freshness !== null ? { freshness: source.freshness } : {};
}

function parseHooks(candidate: Candidate, candidates: Map<string, Candidate>, sources: Record<string, SourceNode>, run: RunContext): NodeHooks {
  const placeholder = (identifier: string): TemplateRelation => new TemplateRelation({ schema: run.target.schema, identifier }, run.quote);
  candidate.refs = [];
  candidate.sources = [];
  return {
    nodeName: candidate.name,
    ref: (name) => {
      const target = findRefTarget(name, candidate, candidates);
      if (!candidate.refs.includes(target.uniqueId)) candidate.refs.push(target.uniqueId);
      return placeholder(name);
    },
    source: (sourceName, tableName) => {
      const source = findSource(sourceName, tableName, sources);
      if (!candidate.sources.includes(source.uniqueId)) candidate.sources.push(source.uniqueId);
      return new TemplateRelation(source.relation, run.quote);
    },
    setConfig: (values) => {
      candidate.config = mergeConfig(candidate.config, values);
    },
    getConfig: (key) => {
      candidate.contextSensitive = true;
      return candidate.config[key];
    },
    recordMacro: (name) => candidate.macros.add(name),
    recordVar: (name, value) => candidate.vars.set(name, value),
    recordInput: (input) => candidate.inputs.set(`${input.kind}:${input.name}`, input),
    markVolatile: () => {
      candidate.volatile = true;
    },
    this: placeholder(candidate.name),
    isIncremental: () => false,
    // Reading `model` marks the render as pass-dependent (pass 2 knows the final schema and alias).
    model: new Proxy({ name: candidate.name, unique_id: candidate.uniqueId, resource_type: candidate.resourceType, path: candidate.file.path, config: candidate.config }, {
      get(target, property, receiver) {
        candidate.contextSensitive = true;
        return Reflect.get(target, property, receiver) as unknown;
      },
    }),
  };
}

/**
 * Pass 1 renders refs and `this` as `<target schema>.<name>`. When every relation the model
 * refs (and its own) really is named so, and the template read nothing else that pass 2 answers
 * differently, pass 1's output is already the final SQL and the second render is skipped.
 */
function pass1IsFinal(candidate: Candidate, candidates: Map<string, Candidate>, relations: Map<string, RelationName>, run: RunContext): boolean {
  if (candidate.contextSensitive) return false;
  const isPlaceholder = (id: string, name: string): boolean => {
    const relation = relations.get(id);
    return !!relation && relation.database === undefined && relation.schema === run.target.schema && relation.identifier === name;
  };
  if (!isPlaceholder(candidate.uniqueId, candidate.name)) return false;
  for (const id of candidate.refs) {
    const target = candidates.get(id);
    if (!target || target.config.materialized === 'ephemeral' || !isPlaceholder(id, target.name)) return false;
  }
  return true;
}

function compileHooks(
  candidate: Candidate,
  node: CompiledNode,
  candidates: Map<string, Candidate>,
  relations: Map<string, RelationName>,
  sources: Record<string, SourceNode>,
  run: RunContext,
  isIncremental: boolean,
): NodeHooks {
  const relationOf = (target: Candidate): TemplateRelation => {
    const isEphemeral = target.resourceType === 'model' && target.config.materialized === 'ephemeral';
    return new TemplateRelation(relations.get(target.uniqueId)!, run.quote, isEphemeral ? cteName(target.name) : undefined);
  };
  return {
    nodeName: candidate.name,
    ref: (name) => relationOf(findRefTarget(name, candidate, candidates)),
    source: (sourceName, tableName) => new TemplateRelation(findSource(sourceName, tableName, sources).relation, run.quote),
    // config() was already recorded in pass 1; a second call must not double-append tags.
    setConfig: () => undefined,
    recordInput: (input) => candidate.inputs.set(`${input.kind}:${input.name}`, input),
    markVolatile: () => {
      candidate.volatile = true;
    },
    getConfig: (key) => node.config[key],
    this: new TemplateRelation(node.relation, run.quote),
    isIncremental: () => isIncremental,
    model: { name: node.name, unique_id: node.uniqueId, resource_type: node.resourceType, path: node.path, config: node.config, schema: node.relation.schema, alias: node.relation.identifier },
  };
}

/**
 * The DAG finds the cycle along its edges (parent to child); people read it the other way, as
 * "a refs b refs a", and need the ref to remove: the error points at the first one.
 */
function cycleError(cycle: string[], nodes: Record<string, CompiledNode>): DependencyError {
  const chain = [...cycle].reverse();
  const names = chain.map((id) => nodes[id]?.name ?? id);
  const first = nodes[chain[0]!];
  const line = first ? lineOfRef(first.rawSql, names[1]!) : undefined;
  return new DependencyError(
    `Dependency cycle: ${names.join(' > ')}`,
    { file: first?.path, line, node: first?.uniqueId },
    `Remove one of the refs in the chain, e.g. ref('${names[1]}') in ${names[0]}.`,
  );
}

/** 1-based line of the first `ref('name')` (or `ref('package', 'name')`) in a model's text. */
function lineOfRef(text: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const index = text.search(new RegExp(`ref\\s*\\((?:\\s*['"][^'"]*['"]\\s*,)?\\s*['"]${escaped}['"]`));
  return index < 0 ? undefined : text.slice(0, index).split('\n').length;
}

function findRefTarget(name: string, from: Candidate, candidates: Map<string, Candidate>): Candidate {
  const candidate = candidatesByName(candidates).get(name);
  if (candidate) {
    if (candidate.config.enabled === false) {
      throw new DependencyError(`ref('${name}'): '${name}' is disabled`, { node: from.uniqueId }, `Enable ${name} or remove the ref.`);
    }
    return candidate;
  }
  throw new DependencyError(`ref('${name}'): no model or seed named '${name}'`, { node: from.uniqueId }, didYouMean(name, [...candidates.values()].map((c) => c.name)) ?? 'Check the name against the files under models/ and seeds/.');
}

/** Name -> candidate, built once per candidates map (refs are looked up many times). */
const nameIndexes = new WeakMap<Map<string, Candidate>, { size: number; index: Map<string, Candidate> }>();
function candidatesByName(candidates: Map<string, Candidate>): Map<string, Candidate> {
  const cached = nameIndexes.get(candidates);
  if (cached && cached.size === candidates.size) return cached.index;
  const index = new Map<string, Candidate>();
  for (const candidate of candidates.values()) if (!index.has(candidate.name)) index.set(candidate.name, candidate);
  nameIndexes.set(candidates, { size: candidates.size, index });
  return index;
}

function findSource(sourceName: string, tableName: string, sources: Record<string, SourceNode>): SourceNode {
  const match = Object.values(sources).find((s) => s.sourceName === sourceName && s.name === tableName);
  if (match) return match;
  const all = Object.values(sources).map((s) => `${s.sourceName}.${s.name}`);
  throw new DependencyError(
    `source('${sourceName}', '${tableName}'): no such source table`,
    {},
    didYouMean(`${sourceName}.${tableName}`, all) ?? (all.length ? `Declared sources: ${all.slice(0, 10).join(', ')}.` : 'Declare it under sources: in a YAML file beside the models.'),
  );
}

/** dbt's rule: no custom schema -> the target's schema; custom schema -> `<target>_<custom>`; a `generate_schema_name` macro overrides it. */
function schemaFor(candidate: Candidate, environment: TemplateEnvironment, context: TemplateContext, run: RunContext): string {
  // dbt's snapshots: target_schema is the schema itself, with no prefix and no macro.
  if (candidate.resourceType === 'snapshot' && typeof candidate.config.target_schema === 'string') return candidate.config.target_schema;
  const custom = typeof candidate.config.schema === 'string' ? candidate.config.schema : null;
  if (environment.macros.has('generate_schema_name')) {
    const macro = environment.globals.generate_schema_name as (...args: unknown[]) => unknown;
    const value = String(macro(custom, { name: candidate.name, unique_id: candidate.uniqueId, config: candidate.config, path: candidate.file.path })).trim();
    if (!value) throw new CompileError(`generate_schema_name returned an empty schema for '${candidate.name}'`, { file: environment.macros.get('generate_schema_name')!.path, node: candidate.uniqueId });
    return value;
  }
  void context;
  return custom ? `${run.target.schema}_${custom.trim()}` : run.target.schema;
}

/**
 * dbt renders Jinja in config values from project.yml and YAML properties (`+enabled: "{{
 * var('x', true) }}"`) and reads the result as a value (nativeValue). Not hooks: they render when
 * they run. Not the model's own config() call, rendered with its SQL. Each text renders once.
 */
function renderFolderConfig(candidates: Map<string, Candidate>, render: (text: string) => string, errors: ErrorCollector): void {
  const rendered = new Map<string, string | undefined>();
  const value = (key: string, text: string): unknown => {
    if (!rendered.has(text)) rendered.set(text, errors.attempt(() => render(text).trim()));
    const out = rendered.get(text);
    return out === undefined ? undefined : nativeValue(key, out);
  };
  for (const candidate of candidates.values()) {
    for (const [key, raw] of Object.entries(candidate.config)) {
      if (HOOK_KEYS.has(key)) continue;
      if (typeof raw === 'string' && isTemplate(raw)) candidate.config[key] = value(key, raw);
      else if (Array.isArray(raw) && raw.some((v) => typeof v === 'string' && isTemplate(v))) candidate.config[key] = raw.map((v) => (typeof v === 'string' && isTemplate(v) ? value(key, v) : v));
    }
  }
}

/**
 * dbt's `{{ doc('name') }}` in descriptions: the text of a docs block (Project.docs). Only a
 * description that calls doc() is rendered, so one that shows Jinja as an example stays as it is.
 */
function renderDescriptions(project: Project, nodes: Record<string, CompiledNode>, sources: Record<string, SourceNode>, environment: TemplateEnvironment, context: TemplateContext, errors: ErrorCollector): void {
  const docs = new Map(project.docs.map((d) => [d.name, d]));
  environment.setGlobal('doc', (...args: unknown[]) => {
    // doc('name'), or doc('package', 'name') as dbt also allows.
    const name = String(args.length > 1 && typeof args[1] === 'string' ? args[1] : args[0]);
    const block = docs.get(name);
    if (!block) throw new CompileError(`doc('${name}') names no docs block`, {}, didYouMean(name, docs.keys()) ?? "Define it in a .md file beside the models: {% docs name %}...{% enddocs %}.");
    return block.text;
  });
  const render = (text: string, path: string, node: string): string => {
    if (!isTemplate(text) || !/\bdoc\s*\(/.test(text)) return text;
    return errors.attempt(() => {
      try {
        return context.renderText({ path, text }).trim();
      } catch (error) {
        if (error instanceof CompileError) throw new CompileError(`In a description of ${node}: ${error.message}`, { file: path, node }, error.hint);
        throw error;
      }
    }) ?? text;
  };
  for (const owner of [...Object.values(nodes), ...Object.values(sources)]) {
    const path = owner.patchPath ?? owner.path;
    owner.description = render(owner.description, path, owner.uniqueId);
    for (const column of Object.values(owner.columns)) column.description = render(column.description, path, owner.uniqueId);
  }
}

const HOOK_KEYS = new Set(['pre-hook', 'post-hook', 'pre_hook', 'post_hook']);

function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

/**
 * The rendered text as the value its key takes: true / false for the keys that are flags, a
 * whole number (no leading zero) for the ones that are counts, none for either; every other
 * key keeps the text (a schema may well be named 123 or true).
 */
function nativeValue(key: string, text: string): unknown {
  if (FLAG_KEYS.has(key)) {
    if (/^true$/i.test(text)) return true;
    if (/^false$/i.test(text)) return false;
  }
  if ((FLAG_KEYS.has(key) || COUNT_KEYS.has(key)) && /^(none|null)$/i.test(text)) return null;
  if (COUNT_KEYS.has(key) && /^-?(0|[1-9]\d*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

const FLAG_KEYS = new Set(['enabled', 'full_refresh', 'quote_columns', 'header', 'preserve_order', 'store_failures', 'persist_docs']);
const COUNT_KEYS = new Set(['limit']);

/**
 * The config keys every node has, checked for their type once every config() call is in (dbt
 * validates them the same way): `enabled: "false"` or `schema: [raw]` would otherwise be taken
 * as enabled, or as no schema, without a word. Returns true when they are fine.
 */
function checkConfigTypes(candidate: Candidate): true {
  const config = candidate.config;
  const where = { file: candidate.file.path, node: candidate.uniqueId };
  const hint = (key: string, example: string) => `Set ${key} in project.yml, the YAML properties or the config() call of ${candidate.name}, e.g. ${key}: ${example}.`;
  for (const key of ['enabled', 'full_refresh'] as const) {
    const value = config[key];
    if (value !== undefined && value !== null && typeof value !== 'boolean') throw new ConfigError(`${key} of ${candidate.name} must be true or false, not ${JSON.stringify(value)}`, where, hint(key, 'false'));
  }
  for (const key of ['schema', 'database', 'alias', 'materialized'] as const) {
    const value = config[key];
    if (value !== undefined && value !== null && typeof value !== 'string') throw new ConfigError(`${key} of ${candidate.name} must be a name, not ${JSON.stringify(value)}`, where, hint(key, key === 'materialized' ? 'table' : 'raw'));
  }
  // Tags are always a list by now (mergeConfigKey): each must be a name.
  const tags = (config.tags as unknown[] | undefined) ?? [];
  if (!tags.every((t) => typeof t === 'string')) {
    throw new ConfigError(`tags of ${candidate.name} must be a name or a list of names, not ${JSON.stringify(tags)}`, where, hint('tags', '[nightly, finance]'));
  }
  return true;
}

function toColumns(columns: ColumnProperties[] | undefined): Record<string, ColumnInfo> {
  const result: Record<string, ColumnInfo> = {};
  for (const column of columns ?? []) {
    result[column.name] = {
      name: column.name,
      description: column.description ?? '',
      ...(column.data_type ? { data_type: column.data_type } : {}),
      tags: column.tags ?? [],
      meta: column.meta ?? {},
    };
  }
  return result;
}

function toNode(candidate: Candidate, relation: RelationName, targetSchema: string, environment: TemplateEnvironment): CompiledNode {
  const raw = candidate.config;
  const props = candidate.properties?.value;
  const config: NodeConfig = {
    ...raw,
    materialized: (raw.materialized ?? 'view') as Materialization,
    enabled: raw.enabled !== false,
    tags: (raw.tags as string[] | undefined) ?? [],
  };
  void targetSchema;
  return {
    uniqueId: candidate.uniqueId,
    resourceType: candidate.resourceType,
    name: candidate.name,
    packageName: candidate.uniqueId.split('.')[1]!,
    path: candidate.file.path,
    fqn: [candidate.uniqueId.split('.')[1]!, ...candidate.folders, candidate.name],
    description: props?.description ?? '',
    tags: config.tags,
    columns: toColumns(props?.columns),
    meta: { ...(props?.meta ?? {}), ...((raw.meta as Record<string, unknown> | undefined) ?? {}) },
    ...(candidate.properties ? { patchPath: candidate.properties.yaml.path } : {}),
    config,
    relation,
    // A snapshot's text keeps the lines before its block blank (for error lines): show the block's body.
    rawSql: candidate.resourceType === 'snapshot' ? candidate.file.text.trim() : candidate.file.text,
    compiledSql: '',
    dependsOn: { nodes: [...candidate.refs, ...candidate.sources], macros: [...candidate.macros].sort().map((m) => environment.macros.get(m)?.uniqueId ?? m) },
    checksum: candidate.textHash ?? sha256(candidate.file.text),
    stateChecksum: candidate.cached?.stateChecksum ?? stateChecksum(candidate, config, environment),
    startLine: candidate.startLine ?? 1,
  };
}

function stateChecksum(candidate: Candidate, config: NodeConfig, environment: TemplateEnvironment): string {
  const macros = [...candidate.macros].sort().map((name) => [name, environment.macroSource(name) ?? '']);
  const vars = [...candidate.vars].sort(([a], [b]) => a.localeCompare(b));
  return sha256(JSON.stringify([candidate.file.text, canonical(config), macros, vars]));
}

/** JSON with sorted keys, so the same config always hashes the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The ephemeral models a node reads, directly or through other ephemerals, in build order. */
function ephemeralCtes(id: string, nodes: Record<string, CompiledNode>, rendered: Map<string, string>, dag: Dag): Cte[] {
  const ordered: string[] = [];
  const visit = (nodeId: string): void => {
    for (const parent of dag.parents(nodeId).sort()) {
      const node = nodes[parent];
      if (node?.config.materialized !== 'ephemeral' || ordered.includes(parent)) continue;
      visit(parent);
      if (!ordered.includes(parent)) ordered.push(parent);
    }
  };
  visit(id);
  return ordered.map((parent) => ({ name: cteName(nodes[parent]!.name), sql: rendered.get(parent)! }));
}

/**
 * Takes a model's config, refs, sources, macros and vars from the render cache when its file,
 * starting config and the outside values it read are unchanged: pass 1 is skipped for it.
 */
function reuseRender(candidate: Candidate, cache: RenderCache, run: RunContext): boolean {
  candidate.textHash = sha256(candidate.file.text);
  candidate.baseConfig = JSON.stringify(candidate.config);
  const entry = cache.lookup(candidate.uniqueId, candidate.file.path, candidate.textHash, candidate.baseConfig, run);
  if (!entry) return false;
  candidate.cached = entry;
  candidate.config = entry.config;
  candidate.refs = entry.refs;
  candidate.sources = entry.sources;
  candidate.macros = new Set(entry.macros);
  candidate.vars = new Map(entry.vars);
  candidate.inputs = new Map(entry.inputs.map((input) => [`${input.kind}:${input.name}`, input]));
  return true;
}

/** The relations a model's final SQL names: its own, each ref's (and whether it inlines as a CTE), each source's. */
function dependencyFingerprint(candidate: Candidate, candidates: Map<string, Candidate>, relations: Map<string, RelationName>, sources: Record<string, SourceNode>): string {
  const parts: unknown[] = [relations.get(candidate.uniqueId) ?? null];
  for (const id of candidate.refs) {
    const target = candidates.get(id);
    parts.push([id, relations.get(id) ?? null, target?.config.materialized === 'ephemeral' ? target.name : null]);
  }
  for (const id of candidate.sources) parts.push([id, sources[id]?.relation ?? null]);
  return JSON.stringify(parts);
}

function toEntry(candidate: Candidate, node: CompiledNode, fingerprint: string, sql: string): RenderEntry {
  return {
    path: candidate.file.path,
    textHash: candidate.textHash ?? sha256(candidate.file.text),
    baseConfig: candidate.baseConfig ?? '',
    config: candidate.config,
    refs: candidate.refs,
    sources: candidate.sources,
    macros: [...candidate.macros],
    vars: [...candidate.vars],
    inputs: [...candidate.inputs.values()],
    fingerprint,
    sql,
    stateChecksum: node.stateChecksum,
  };
}
