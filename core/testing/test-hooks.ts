import { DependencyError, FollowOnError } from '../errors.js';
import { mergeConfig } from '../project/folder-config.js';
import type { CompiledNode, SourceNode } from '../manifest/types.js';
import type { NodeHooks } from '../template/context.js';
import { cteName } from '../template/inline-ctes.js';
import { TemplateRelation, type QuoteFn } from '../template/relation.js';
import { didYouMean } from '../util/suggest.js';

/** What a test may read: the compiled models, seeds and snapshots, and the sources. */
export interface TestScope {
  nodes: Record<string, CompiledNode>;
  sources: Record<string, SourceNode>;
  quote: QuoteFn;
  /** Names of the models, seeds and snapshots that failed to compile (their errors are reported). */
  broken?: ReadonlySet<string>;
}

/** A test being rendered: collects what it reads, the macros it calls and its config() calls. */
export class TestRender {
  readonly dependsOn = new Set<string>();
  readonly macros = new Set<string>();
  /** The node behind each relation handed out, so `to: ref('x')` can be traced back to x. */
  private readonly relations = new Map<TemplateRelation, string>();
  config: Record<string, unknown>;

  constructor(private readonly scope: TestScope, readonly name: string, readonly uniqueId: string, readonly path: string, config: Record<string, unknown>) {
    this.config = config;
  }

  hooks(): NodeHooks {
    return {
      nodeName: this.name,
      ref: (name, packageName) => this.ref(name, packageName),
      source: (sourceName, tableName) => this.source(sourceName, tableName),
      setConfig: (values) => {
        this.config = mergeConfig(this.config, values);
      },
      getConfig: (key) => this.config[key],
      recordMacro: (name) => this.macros.add(name),
      isIncremental: () => false,
      model: { name: this.name, unique_id: this.uniqueId, resource_type: 'test', path: this.path, config: this.config },
    };
  }

  ref(name: string, _packageName?: string): TemplateRelation {
    const node = findNode(this.scope, name, this.uniqueId);
    this.dependsOn.add(node.uniqueId);
    const relation = relationOf(this.scope, node);
    this.relations.set(relation, node.uniqueId);
    return relation;
  }

  source(sourceName: string, tableName: string): TemplateRelation {
    const source = findSource(this.scope, sourceName, tableName, this.uniqueId);
    this.dependsOn.add(source.uniqueId);
    const relation = new TemplateRelation(source.relation, this.scope.quote);
    this.relations.set(relation, source.uniqueId);
    return relation;
  }

  nodeOf(relation: TemplateRelation): string | undefined {
    return this.relations.get(relation);
  }
}

export function relationOf(scope: TestScope, node: CompiledNode | SourceNode): TemplateRelation {
  const ephemeral = node.resourceType !== 'source' && node.config.materialized === 'ephemeral';
  return new TemplateRelation(node.relation, scope.quote, ephemeral ? cteName(node.name) : undefined);
}

export function findNode(scope: TestScope, name: string, from: string): CompiledNode {
  const match = Object.values(scope.nodes).find((n) => n.name === name && n.resourceType !== 'test');
  if (match) return match;
  if (scope.broken?.has(name)) throw new FollowOnError(`ref('${name}'): '${name}' failed to compile`, { node: from }, `Fix the error reported for '${name}'.`);
  const names = Object.values(scope.nodes).filter((n) => n.resourceType !== 'test').map((n) => n.name);
  throw new DependencyError(`ref('${name}'): no model, seed or snapshot named '${name}'`, { node: from }, didYouMean(name, names) ?? 'Check the name against the files under models/ and seeds/.');
}

export function findSource(scope: TestScope, sourceName: string, tableName: string, from: string): SourceNode {
  const match = Object.values(scope.sources).find((s) => s.sourceName === sourceName && s.name === tableName);
  if (match) return match;
  const all = Object.values(scope.sources).map((s) => `${s.sourceName}.${s.name}`);
  throw new DependencyError(`source('${sourceName}', '${tableName}'): no such source table`, { node: from }, didYouMean(`${sourceName}.${tableName}`, all) ?? 'Declare it under sources: in a YAML file.');
}
