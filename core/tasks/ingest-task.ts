import type { Adapter } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { lockTarget } from '../runner/target-lock.js';
import { withSqlLog } from '../adapters/sql-log.js';
import { cdcSource, isCdcSource } from '../cdc/cdc-source.js';
import { hasCapture, hasFiles } from '../capture/capture-config.js';
import { captureSources } from './capture-task.js';
import { loadChanges, type LoadReport } from '../cdc/load-changes.js';
import { SmeltError } from '../errors.js';
import type { CompiledNode, SourceNode } from '../manifest/types.js';
import { writeRunResults } from '../runner/artifacts.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { startTask } from './task-start.js';
import { join } from 'node:path';

export interface IngestOptions {
  select?: string[];
  exclude?: string[];
  /** Drop each selected change log and load all of its files again. */
  fullRefresh?: boolean;
  failFast?: boolean;
  /** Also drain the slots of live sources (cdc.capture), as `smelt build` does; `smelt ingest` loads files only. */
  capture?: boolean;
}

/**
 * `smelt ingest`: loads the change-event files of the selected CDC sources (sources with a
 * `cdc:` block) into their change logs, one source after another, each in one transaction.
 */
export async function ingestTask(session: Session, options: IngestOptions, reporter: Reporter): Promise<RunSummary> {
  const { started, manifest, redact, selected } = startTask(session, reporter, { select: options.select, exclude: options.exclude, resourceTypes: ['source'] }, { compiled: false });
  const cdc = selected.map((id) => manifest.sources[id]).filter((s): s is SourceNode => !!s && isCdcSource(s));
  // Live sources are read by `smelt capture` (and `smelt build`); ingest loads files.
  const sources = cdc.filter(hasFiles);
  const live = cdc.filter((s) => !hasFiles(s));
  if (live.length > 0) reporter.info(`${live.map((s) => `${s.sourceName}.${s.name}`).join(', ')}: live (capture:), read by smelt capture or smelt build, not ingest.`);

  let results: NodeResult[] = [];
  if (sources.length === 0) {
    reporter.info('Nothing to do: no CDC sources are selected (sources with a cdc: block).');
  } else {
    const raw = await createAdapter(session.target, session.root, session.threads);
    const adapter = reporter.debugEnabled && reporter.debug ? withSqlLog(raw, (m) => reporter.debug?.(redact(m))) : raw;
    const release = await lockTarget(session, adapter, 'ingest', reporter, (options as { wait?: number }).wait);
    try {
      await adapter.open();
      reporter.info(`Loading ${sources.length} CDC source${sources.length === 1 ? '' : 's'} on ${session.target.name} (${adapter.type})`);
      results = await ingestSources(session, adapter, sources, reporter, redact, { ...options, capture: false });
    } finally {
      await adapter.close();
      await release();
    }
  }
  const summary: RunSummary = { command: 'ingest', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
  writeRunResults(session.targetPath, summary, { ...manifest.metadata }, redact);
  reporter.summary(summary);
  return summary;
}

/** The CDC sources that `nodes` read: what `smelt build` loads before building them. */
export function cdcSourcesOf(session: Session, nodes: readonly CompiledNode[]): SourceNode[] {
  const { manifest } = session.compiled;
  const ids = new Set(nodes.flatMap((n) => n.dependsOn.nodes));
  return Object.values(manifest.sources).filter((s) => ids.has(s.uniqueId) && isCdcSource(s));
}

/** Loads each source's change log in turn on an open adapter; one result per source. */
export async function ingestSources(session: Session, adapter: Adapter, sources: readonly SourceNode[], reporter: Reporter, redact: (text: string) => string, options: IngestOptions = {}): Promise<NodeResult[]> {
  const results: NodeResult[] = [];
  let failed = false;
  // Live sources (cdc.capture): each slot is drained once, on this warehouse, before any files load (core/capture).
  const liveSources = options.capture === false ? [] : sources.filter(hasCapture);
  const live = liveSources.length > 0 ? await captureSources(session, adapter, liveSources, reporter, redact) : new Map<string, NodeResult>();
  for (const [index, node] of sources.entries()) {
    const source = cdcSource(node);
    const startedAt = new Date().toISOString();
    const clock = performance.now();
    const base = { uniqueId: node.uniqueId, name: source.name, resourceType: 'source', materialization: 'cdc', startedAt, file: node.path };
    let result: NodeResult;
    if (failed && options.failFast) {
      result = { ...base, status: 'skipped', executionTime: 0, completedAt: startedAt, message: 'skipped by --fail-fast', warnings: [] };
    } else {
      reporter.nodeStarted?.(index + 1, sources.length, node.uniqueId);
      const captured = live.get(node.uniqueId);
      if (captured && (captured.status === 'error' || !hasFiles(node))) {
        result = captured;
        failed ||= captured.status === 'error';
      } else try {
        const report = await loadChanges({
          adapter, source, root: session.root, fullRefresh: !!options.fullRefresh,
          ...(reporter.progress ? { onProgress: (events: number, done: number, total: number) => reporter.progress!(node.uniqueId, source.name, events, done, total) } : {}),
        });
        writeFileAtomic(join(session.targetPath, 'run', session.project.name, 'cdc', `${source.name}.sql`), redact(report.statements.map((s) => `${s};`).join('\n\n') + '\n'));
        const warnings = report.files + report.unchangedFiles === 0 ? [`no files match ${source.config.path.join(', ')}`] : [];
        warnings.forEach((w) => reporter.warn(`${source.name}: ${w}`));
        result = { ...base, status: 'success', executionTime: (performance.now() - clock) / 1000, completedAt: new Date().toISOString(), rowsAffected: report.newEvents, message: describeLoad(report, source.relation.identifier), warnings };
        if (captured) result = { ...result, rowsAffected: (captured.rowsAffected ?? 0) + report.newEvents, message: `live: ${captured.message}; files: ${result.message}` };
      } catch (error) {
        if (!(error instanceof SmeltError)) throw error;
        failed = true;
        result = { ...base, status: 'error', executionTime: (performance.now() - clock) / 1000, completedAt: new Date().toISOString(), message: redact(error.message), where: error.where || node.path, ...(error.hint ? { hint: error.hint } : {}), warnings: [] };
      }
    }
    reporter.nodeFinished(index + 1, sources.length, result);
    if (result.status === 'success' && result.message) reporter.info(`      ${result.message}`);
    results.push(result);
  }
  return results;
}

/** "2 files (1 unchanged): 9 events, 7 new, 2 already loaded; 2 tombstones; high-water LSN 2700". */
export function describeLoad(report: LoadReport, identifier: string): string {
  const parts = [
    `${report.files} file${report.files === 1 ? '' : 's'} read${report.unchangedFiles ? ` (${report.unchangedFiles} unchanged, skipped)` : ''}`,
    `${report.events} event${report.events === 1 ? '' : 's'}: ${report.newEvents} new${report.duplicates ? `, ${report.duplicates} already loaded` : ''}`,
  ];
  if (report.tombstones) parts.push(`${report.tombstones} tombstone${report.tombstones === 1 ? '' : 's'} skipped`);
  if (report.skipped) parts.push(`${report.skipped} for other tables skipped`);
  if (report.rejected) parts.push(`${report.rejected} rejected into ${identifier}__rejects`);
  const high = report.highWater;
  if (high.lsn !== null || high.tsMs !== null) {
    parts.push(`high-water ${[high.lsn !== null ? `LSN ${high.lsn}` : '', high.tsMs !== null ? `ts ${new Date(high.tsMs).toISOString()}` : ''].filter(Boolean).join(', ')}`);
  }
  return parts.join('; ');
}
