/**
 * dbt's node selection syntax: `-s "+stg_orders tag:nightly,config.materialized:table" --exclude gold`.
 *
 * A selection is a union of space-separated specs; each spec is an intersection of
 * comma-separated criteria; each criterion is `[@][n+][method:]value[+n]`. Criteria are matched
 * against the manifest, expanded through the DAG, and (as dbt's default "eager" indirect
 * selection does) extended with the tests that hang off anything they selected.
 */
import { closest, distance } from 'fastest-levenshtein';
import { UsageError } from '../errors.js';
import type { Manifest, ManifestNode, ResourceType } from '../manifest/types.js';
import type { Dag } from './dag.js';

export interface SelectionOptions {
  /** Each element may itself contain several space-separated selectors (CLI passes `-s "a b" c`). */
  select?: string[];
  exclude?: string[];
  /** Only these resource types end up in the result (e.g. ['model'] for `run`); default: all compiled nodes + sources. */
  resourceTypes?: ResourceType[];
  /** Extension point for state:/result: methods added later: return the matching unique ids or undefined if the method is unknown. */
  extraMethods?: Record<string, (value: string) => Set<string>>;
}

export interface SelectionResult {
  /** Unique ids in DAG topological order. */
  selected: string[];
  /** Specs (as typed, select and exclude alike) that matched no node; dbt warns about these. */
  unmatched: string[];
}

export function selectNodes(manifest: Manifest, dag: Dag, options: SelectionOptions): string[] {
  return selectNodesDetailed(manifest, dag, options).selected;
}

export function selectNodesDetailed(manifest: Manifest, dag: Dag, options: SelectionOptions): SelectionResult {
  const context = createContext(manifest, dag, options);
  // Parse everything before evaluating anything, so a typo in --exclude fails just as fast.
  const selectSpecs = splitSpecs(options.select).map((raw) => parseSpec(raw, context));
  const excludeSpecs = splitSpecs(options.exclude).map((raw) => parseSpec(raw, context));

  const unmatched: string[] = [];
  const included = selectSpecs.length === 0 ? new Set(context.universe.keys()) : evaluateUnion(selectSpecs, context, unmatched);
  const excluded = evaluateUnion(excludeSpecs, context, unmatched);

  const keep = (id: string): boolean =>
    included.has(id) && !excluded.has(id) && hasWantedType(context.universe.get(id)!, options.resourceTypes);
  return { selected: orderedUniverse(context).filter(keep), unmatched: [...new Set(unmatched)] };
}

// ---------------------------------------------------------------------------------------------
// Context

interface SelectionContext {
  manifest: Manifest;
  dag: Dag;
  /** Every selectable node: enabled models, seeds, snapshots, tests and sources. */
  universe: Map<string, ManifestNode>;
  extraMethods: Record<string, (value: string) => Set<string>>;
  /** Pulling in tests is wasted work (and noise) when the command cannot run tests anyway. */
  indirectTests: boolean;
}

function createContext(manifest: Manifest, dag: Dag, options: SelectionOptions): SelectionContext {
  const universe = new Map<string, ManifestNode>();
  for (const node of [...Object.values(manifest.nodes), ...Object.values(manifest.sources)]) {
    // dbt never selects disabled nodes, whatever the selector says.
    if (node.config.enabled !== false) universe.set(node.uniqueId, node);
  }
  return {
    manifest,
    dag,
    universe,
    extraMethods: options.extraMethods ?? {},
    indirectTests: options.resourceTypes === undefined || options.resourceTypes.includes('test'),
  };
}

function hasWantedType(node: ManifestNode, resourceTypes: ResourceType[] | undefined): boolean {
  return resourceTypes === undefined || resourceTypes.includes(node.resourceType);
}

/** The DAG's topological order; nodes the DAG somehow lacks go last, by id, rather than vanish. */
function orderedUniverse(context: SelectionContext): string[] {
  const ordered = context.dag.topologicalOrder().filter((id) => context.universe.has(id));
  const missing = [...context.universe.keys()].filter((id) => !context.dag.has(id)).sort();
  return [...ordered, ...missing];
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** One comma-separated part of a spec, e.g. `2+tag:nightly+`. */
interface Criterion {
  raw: string;
  match: () => Set<string>;
  /** Hops upstream to add; undefined for none, Infinity for all. */
  parentsDepth?: number;
  childrenDepth?: number;
  /** `@`: descendants, and every ancestor of those descendants. */
  childrensParents: boolean;
}

/** One space-separated spec: the intersection of its criteria. */
interface Spec {
  raw: string;
  criteria: Criterion[];
}

// Mirrors dbt's RAW_SELECTOR_PATTERN; the method is kept loose so bad names get a helpful error.
const CRITERION_PATTERN = /^(?<at>@)?(?:(?<parentsDepth>\d*)\+)?(?:(?<method>[^:]*):)?(?<value>.*?)(?:\+(?<childrenDepth>\d*))?$/s;

function splitSpecs(items: string[] | undefined): string[] {
  return (items ?? []).flatMap((item) => item.split(/\s+/)).filter((raw) => raw !== '');
}

function parseSpec(raw: string, context: SelectionContext): Spec {
  return { raw, criteria: raw.split(',').map((part) => parseCriterion(part, raw, context)) };
}

function parseCriterion(raw: string, spec: string, context: SelectionContext): Criterion {
  const groups = CRITERION_PATTERN.exec(raw)?.groups;
  if (raw === '' || !groups) throw malformed(spec, 'Commas join selectors without spaces: `tag:a,tag:b`.');
  const { at, parentsDepth, method, value, childrenDepth } = groups;
  if (at !== undefined && parentsDepth !== undefined) {
    throw malformed(raw, 'The `@` and `+` prefixes cannot be combined; `@name` already includes all ancestors.');
  }
  if (value === '') throw malformed(raw, 'Name a node after the operator or method, e.g. `+stg_orders` or `tag:nightly`.');
  if (/[+@]/.test(value!)) throw malformed(raw, 'Graph operators go at the edges only: `2+name+3`, `@name`.');
  if (method === '') throw malformed(raw, 'Put a method name before the colon, e.g. `tag:nightly`.');
  return {
    raw,
    match: resolveMethod(method, value!, raw, context),
    parentsDepth: parseDepth(parentsDepth),
    childrenDepth: parseDepth(childrenDepth),
    childrensParents: at !== undefined,
  };
}

function parseDepth(digits: string | undefined): number | undefined {
  if (digits === undefined) return undefined;
  return digits === '' ? Infinity : Number(digits);
}

function malformed(selector: string, hint: string): UsageError {
  return new UsageError(`Invalid selector '${selector}'.`, {}, hint);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function evaluateUnion(specs: Spec[], context: SelectionContext, unmatched: string[]): Set<string> {
  const result = new Set<string>();
  for (const spec of specs) {
    const ids = evaluateSpec(spec, context);
    if (ids.size === 0) unmatched.push(spec.raw);
    for (const id of ids) result.add(id);
  }
  return result;
}

function evaluateSpec(spec: Spec, context: SelectionContext): Set<string> {
  const [first, ...rest] = spec.criteria.map((criterion) => evaluateCriterion(criterion, context));
  return rest.reduce((acc, ids) => new Set([...acc].filter((id) => ids.has(id))), first!);
}

/**
 * Tests are added per criterion, as dbt does: that way `--exclude stg_orders` also drops the tests
 * on stg_orders (dbt's "exclusion is always greedy"), and intersections see them too.
 */
function evaluateCriterion(criterion: Criterion, context: SelectionContext): Set<string> {
  const expanded = expandThroughGraph(criterion, criterion.match(), context.dag);
  const selected = new Set([...expanded].filter((id) => context.universe.has(id)));
  if (context.indirectTests) addAttachedTests(selected, context);
  return selected;
}

function expandThroughGraph(criterion: Criterion, matched: Set<string>, dag: Dag): Set<string> {
  const result = new Set(matched);
  const addAll = (ids: Iterable<string>) => {
    for (const id of ids) result.add(id);
  };
  for (const id of matched) {
    if (!dag.has(id)) continue;
    if (criterion.parentsDepth !== undefined) addAll(dag.ancestors(id, criterion.parentsDepth));
    if (criterion.childrenDepth !== undefined) addAll(dag.descendants(id, criterion.childrenDepth));
    if (criterion.childrensParents) {
      // Everything needed to build every descendant: what `@` exists for in CI slim builds.
      const family = [id, ...dag.descendants(id)];
      addAll(family);
      for (const member of family) addAll(dag.ancestors(member));
    }
  }
  return result;
}

/** dbt's default "eager" indirect selection: a test comes along if ANY of its parents is selected. */
function addAttachedTests(selected: Set<string>, context: SelectionContext): void {
  for (const id of [...selected]) {
    if (!context.dag.has(id)) continue;
    for (const child of context.dag.children(id)) {
      if (context.universe.get(child)?.resourceType === 'test') selected.add(child);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Methods

type NodePredicate = (node: ManifestNode) => boolean;
type PredicateFactory = (value: string, selector: string, context: SelectionContext) => NodePredicate;

const RESOURCE_TYPES: readonly ResourceType[] = ['model', 'seed', 'snapshot', 'test', 'source'];
// `data` and `schema` are dbt's pre-1.0 names, still accepted there.
const TEST_TYPES: Record<string, string> = { generic: 'generic', singular: 'singular', unit: 'unit', schema: 'generic', data: 'singular' };

const METHODS: Record<string, PredicateFactory> = {
  fqn: (value) => fqnPredicate(value),
  tag: (value) => {
    const pattern = wildcard(value);
    return (node) => nodeTags(node).some((tag) => pattern.test(tag));
  },
  path: (value) => pathPredicate(value),
  file: (value) => filePredicate(value),
  resource_type: (value, selector) => {
    if (!RESOURCE_TYPES.includes(value as ResourceType)) {
      throw new UsageError(`Unknown resource type '${value}' in '${selector}'.`, {}, `Use one of: ${RESOURCE_TYPES.join(', ')}.`);
    }
    return (node) => node.resourceType === value;
  },
  source: (value, selector) => sourcePredicate(value, selector),
  package: (value, _selector, context) => {
    // `package:this` is dbt's name for the root project.
    const pattern = wildcard(value === 'this' ? context.manifest.metadata.projectName : value);
    return (node) => pattern.test(node.packageName);
  },
  test_type: (value, selector) => {
    const testType = TEST_TYPES[value];
    if (testType === undefined) {
      throw new UsageError(`Unknown test type '${value}' in '${selector}'.`, {}, 'Use one of: generic, singular, unit.');
    }
    return (node) => node.resourceType === 'test' && node.config.test_type === testType;
  },
  test_name: (value) => {
    const pattern = wildcard(value);
    return (node) => node.resourceType === 'test' && typeof node.config.test_name === 'string' && pattern.test(node.config.test_name);
  },
};

function knownMethods(context: SelectionContext): string[] {
  return [...Object.keys(METHODS), 'config.<key>', ...Object.keys(context.extraMethods)].sort();
}

/** Turns `method:value` into a function returning the unique ids it matches (before graph operators). */
function resolveMethod(method: string | undefined, value: string, selector: string, context: SelectionContext): () => Set<string> {
  const isExtra = method !== undefined && !Object.hasOwn(METHODS, method) && Object.hasOwn(context.extraMethods, method);
  if (isExtra) {
    const extra = context.extraMethods[method]!;
    return () => new Set(extra(value));
  }
  const predicate = resolvePredicate(method, value, selector, context);
  return () => {
    const ids = new Set<string>();
    for (const [id, node] of context.universe) if (predicate(node)) ids.add(id);
    return ids;
  };
}

function resolvePredicate(method: string | undefined, value: string, selector: string, context: SelectionContext): NodePredicate {
  if (method === undefined) return defaultPredicate(value);
  if (method === 'config' || method.startsWith('config.')) return configPredicate(method, value, selector);
  const factory = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!factory) throw unknownMethod(method, selector, context);
  return factory(value, selector, context);
}

function unknownMethod(method: string, selector: string, context: SelectionContext): UsageError {
  const known = knownMethods(context);
  const suggestion = closest(method, known);
  const didYouMean = distance(method, suggestion) <= 2 ? ` Did you mean '${suggestion}'?` : '';
  return new UsageError(
    `Unknown selector method '${method}' in '${selector}'.`,
    {},
    `Known methods: ${known.join(', ')}.${didYouMean}`,
  );
}

/** As dbt: something that looks like a path is a path, a file name is a file, anything else an fqn. */
function defaultPredicate(value: string): NodePredicate {
  if (/[/\\]/.test(value)) return pathPredicate(value);
  if (/\.(sql|py|csv)$/i.test(value)) return filePredicate(value);
  return fqnPredicate(value);
}

/**
 * `orders`, `bronze`, `bronze.stg_*`, `shop.silver`: the node's name, or a prefix of its fqn
 * with or without the package name in front. Sources are left to `source:`, as in dbt.
 */
function fqnPredicate(value: string): NodePredicate {
  const name = wildcard(value);
  const parts = value.split('.').map((part) => wildcard(part));
  return (node) => {
    if (node.resourceType === 'source') return false;
    if (name.test(node.name)) return true;
    const qualified = node.fqn[0] === node.packageName ? node.fqn : [node.packageName, ...node.fqn];
    return startsWithParts(qualified, parts) || startsWithParts(qualified.slice(1), parts);
  };
}

function startsWithParts(fqn: string[], parts: RegExp[]): boolean {
  return parts.length <= fqn.length && parts.every((part, i) => part.test(fqn[i]!));
}

/** A file, or any folder above it (`path:models/gold` selects everything in gold). */
function pathPredicate(value: string): NodePredicate {
  const pattern = pathGlob(normalisePath(value));
  return (node) =>
    pathAndFolders(node.path).some((candidate) => pattern.test(candidate)) ||
    (node.patchPath !== undefined && pattern.test(normalisePath(node.patchPath)));
}

function filePredicate(value: string): NodePredicate {
  const pattern = wildcard(value);
  return (node) => {
    const base = node.path.split('/').pop() ?? '';
    return pattern.test(base) || pattern.test(base.replace(/\.[^.]*$/, ''));
  };
}

function normalisePath(path: string): string {
  const normalised = path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return normalised === '' ? '.' : normalised;
}

/** `models/gold/x.sql` -> itself, `models/gold`, `models`, `.` (so `path:.` means the whole project). */
function pathAndFolders(path: string): string[] {
  const parts = normalisePath(path).split('/');
  const result: string[] = [];
  for (let i = parts.length; i > 0; i--) result.push(parts.slice(0, i).join('/'));
  result.push('.');
  return result;
}

/** `source:raw`, `source:raw.orders`, `source:package.raw.orders`; each part may use wildcards. */
function sourcePredicate(value: string, selector: string): NodePredicate {
  const parts = value.split('.');
  if (parts.length > 3) {
    throw new UsageError(`Invalid source selector '${selector}'.`, {}, 'Use `source:name`, `source:name.table` or `source:package.name.table`.');
  }
  const [pkg, source, table] = parts.length === 3 ? parts : parts.length === 2 ? ['*', ...parts] : ['*', parts[0], '*'];
  const [pkgPattern, sourcePattern, tablePattern] = [pkg!, source!, table!].map((part) => wildcard(part));
  return (node) =>
    node.resourceType === 'source' &&
    pkgPattern!.test(node.packageName) &&
    sourcePattern!.test(node.sourceName) &&
    tablePattern!.test(node.name);
}

/** `config.materialized:table`, `config.meta.owner:ana`; lists match when they contain the value. */
function configPredicate(method: string, value: string, selector: string): NodePredicate {
  const keys = method.split('.').slice(1);
  if (keys.length === 0 || keys.some((key) => key === '')) {
    throw malformed(selector, 'Name the config key: `config.materialized:table`.');
  }
  return (node) => {
    const actual = lookup(node.config, keys);
    return Array.isArray(actual) ? actual.some((item) => configValueMatches(item, value)) : configValueMatches(actual, value);
  };
}

function lookup(config: Record<string, unknown>, keys: string[]): unknown {
  let current: unknown = config;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The selector is always text; booleans compare case-insensitively, as in dbt (`config.enabled:True`). */
function configValueMatches(actual: unknown, expected: string): boolean {
  if (typeof actual === 'boolean') return String(actual) === expected.toLowerCase();
  if (typeof actual === 'string') return actual === expected;
  if (typeof actual === 'number' || typeof actual === 'bigint') return String(actual) === expected;
  return false;
}

function nodeTags(node: ManifestNode): string[] {
  return [...node.tags, ...(node.config.tags ?? [])];
}

// ---------------------------------------------------------------------------------------------
// Wildcards

/** Shell-style `*` and `?` over a whole string (names, tags, fqn parts). */
function wildcard(pattern: string): RegExp {
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch))).join('');
  return new RegExp(`^${source}$`, 's');
}

/** Like a shell glob: `*` and `?` stay within one folder, `**` crosses folders. */
function pathGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
