import { withConnection, type Adapter } from '../adapters/adapter.js';
import { SmeltError } from '../errors.js';
import type { CompiledNode } from '../manifest/types.js';
import { withHooks } from '../materializations/hooks.js';
import type { BuildNotes } from '../materializations/materialization.js';
import { materializationFor } from '../materializations/registry.js';
import { compiledPath } from '../runner/artifacts.js';
import { runQueue } from '../runner/queue.js';
import { RelationCache } from '../runner/relation-cache.js';
import { RunSqlWriter } from '../runner/run-sql-writer.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult } from '../runner/results.js';
import type { Session } from '../session.js';
import type { RunState } from '../state/run-state.js';
import { enforceContract } from '../testing/contract.js';
import { relative } from 'node:path';

export interface BuildNodesOptions {
  session: Session;
  adapter: Adapter;
  nodes: string[];
  reporter: Reporter;
  fullRefresh: boolean;
  failFast: boolean;
  redact: (text: string) => string;
  /** Shared by the commands that build in several steps (build); made per call otherwise. */
  relations?: RelationCache;
  /** Writes target/run/ files between statements; finished before buildNodes returns. */
  runSql?: RunSqlWriter;
  /** The run state before this command: each node's last build notes (BuildNotes). */
  lastState?: RunState;
  /** Filled with the notes of the nodes built, for the run state this command saves. */
  notes?: Map<string, BuildNotes>;
}

/**
 * Builds the selected models in dependency order on `threads` connections. A node's failure is
 * its result, not an exception: its downstream is skipped and the rest of the run goes on.
 */
export async function buildNodes(options: BuildNodesOptions): Promise<NodeResult[]> {
  const { session, adapter, reporter, redact } = options;
  const { manifest, dag } = session.compiled;
  // Ephemeral models are inlined into their consumers: they pass through the queue (so their
  // parents still order their children) but are neither built nor reported.
  const isEphemeral = (id: string) => manifest.nodes[id]?.config.materialized === 'ephemeral';
  const total = options.nodes.filter((id) => !isEphemeral(id)).length;
  let counter = 0;

  // The caller has created the schemas (ensureSchemas), before its on-run-start hooks.
  const relations = options.relations ?? new RelationCache(adapter);
  const runSql = options.runSql ?? new RunSqlWriter(session.targetPath, session.project.name, redact);
  // The schemas the run builds in are listed once, up front (after on-run-start hooks, which
  // may create relations), rather than inside whichever node happens to ask first.
  const built = options.nodes.filter((id) => !isEphemeral(id)).map((id) => manifest.nodes[id]!.relation);
  if (built.length > 0) await withConnection(adapter, (connection) => relations.prefetch(connection, built));

  let results: Map<string, NodeResult>;
  try {
    results = await runQueue<NodeResult>(dag, options.nodes, session.threads, {
      run: async (id) => {
        const node = manifest.nodes[id]!;
        if (isEphemeral(id)) return ephemeralResult(node);
        const index = ++counter;
        reporter.nodeStarted?.(index, total, id);
        const result = await buildOne({ ...options, relations, runSql }, node);
        reporter.nodeFinished(index, total, result);
        return result;
      },
      skip: (id, _index, because) => {
        const node = manifest.nodes[id]!;
        if (isEphemeral(id)) return { ...ephemeralResult(node), status: 'skipped' };
        const index = ++counter;
        const upstream = manifest.nodes[because]?.name ?? because;
        const now = new Date().toISOString();
        const result: NodeResult = {
          uniqueId: id, name: node.name, resourceType: node.resourceType, materialization: node.config.materialized,
          status: 'skipped', executionTime: 0, startedAt: now, completedAt: now,
          message: because === 'fail-fast' ? 'skipped by --fail-fast' : `skipped because ${upstream} failed`, warnings: [],
        };
        reporter.nodeFinished(index, total, result);
        return result;
      },
      succeeded: (result) => !isFailure(result) && result.status !== 'skipped',
    }, options.failFast);
  } finally {
    if (!options.runSql) runSql.finish();
    session.compiled.templates.saveRunTimeCode();
  }
  return options.nodes.filter((id) => !isEphemeral(id)).map((id) => results.get(id)!).filter(Boolean);
}

function ephemeralResult(node: CompiledNode): NodeResult {
  const now = new Date().toISOString();
  return {
    uniqueId: node.uniqueId, name: node.name, resourceType: node.resourceType, materialization: 'ephemeral',
    status: 'success', executionTime: 0, startedAt: now, completedAt: now, warnings: [],
  };
}

/** Builds one model, seed or snapshot; its failure is its result. (`build` runs it between tests.) */
export async function buildOne(options: BuildNodesOptions, node: CompiledNode): Promise<NodeResult> {
  const { session, adapter, redact } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const base = { uniqueId: node.uniqueId, name: node.name, resourceType: node.resourceType, materialization: node.config.materialized, startedAt };
  const lastBuild = options.lastState?.nodes[node.uniqueId]?.notes;
  try {
    const outcome = await withConnection(adapter, async (connection) => {
      // A model that breaks its contract is not built: the previous relation stays.
      await enforceContract(adapter, connection, node);
      return withHooks(node, connection, (sql) => session.compiled.templates.renderForNode(node, sql), () =>
        materializationFor(node).build({
          node,
          sql: node.compiledSql,
          adapter,
          connection,
          fullRefresh: options.fullRefresh,
          render: (isIncremental) => session.compiled.templates.renderNode(node, { isIncremental }),
          ...(options.relations ? { relations: options.relations } : {}),
          ...(lastBuild ? { lastBuild } : {}),
          manifest: session.compiled.manifest,
        }),
      );
    });
    options.runSql?.add(node.path, outcome.statements);
    if (outcome.notes) options.notes?.set(node.uniqueId, outcome.notes);
    outcome.warnings.forEach((w) => options.reporter.warn(`${node.name}: ${w}`));
    return {
      ...base,
      status: 'success',
      executionTime: (performance.now() - started) / 1000,
      completedAt: new Date().toISOString(),
      ...(outcome.rowsAffected !== undefined ? { rowsAffected: outcome.rowsAffected } : {}),
      message: outcome.message,
      warnings: outcome.warnings,
    };
  } catch (error) {
    if (!(error instanceof SmeltError)) throw error;
    const { where, hint } = error.kind === 'database' ? databaseErrorPlace(session, node, error) : { where: error.where || node.path, hint: error.hint };
    return {
      ...base,
      status: 'error',
      executionTime: (performance.now() - started) / 1000,
      completedAt: new Date().toISOString(),
      message: redact(error.message),
      where,
      ...(hint ? { hint } : {}),
      warnings: [],
    };
  }
}

/**
 * Points a database error at the compiled SQL the user can open, at the line (and column) the
 * database named. The statement wraps that SQL as `create ... as (\n<sql>\n)`: one line more.
 */
function databaseErrorPlace(session: Session, node: CompiledNode, error: SmeltError): { where: string; hint: string } {
  const compiled = relative(session.root, compiledPath(session.targetPath, session.project.name, node.path));
  const { line, column } = error.location;
  const position = line === undefined ? '' : `:${Math.max(1, line - 1)}${column !== undefined ? `:${column}` : ''}`;
  return {
    where: `${compiled}${position}`,
    hint: error.hint ?? `${compiled} is the SQL the database ran; fix the model in ${node.path}.`,
  };
}

/** Creates every schema the selected nodes live in, once, before anything is built. */
export async function ensureSchemas(adapter: Adapter, nodes: CompiledNode[]): Promise<void> {
  const schemas = new Map<string, { schema: string; database?: string }>();
  for (const node of nodes) {
    const key = `${node.relation.database ?? ''}.${node.relation.schema}`;
    schemas.set(key, node.relation);
  }
  if (schemas.size === 0) return;
  await withConnection(adapter, async (connection) => {
    for (const { schema, database } of schemas.values()) {
      const exists = async () => (await connection.query('select 1 from information_schema.schemata where schema_name = $1', [schema])).length > 0;
      if (!(await exists())) {
        try {
          await connection.execute(adapter.dialect.createSchema(schema, database));
        } catch (error) {
          // Another run created it at the same moment (PostgreSQL's IF NOT EXISTS is not race-free).
          if (!(await exists())) throw error;
        }
      }
    }
  });
}
