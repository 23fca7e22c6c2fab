import type { Adapter } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { withSqlLog } from '../adapters/sql-log.js';
import { captureGroups, hasCapture, type CaptureGroup } from '../capture/capture-config.js';
import { SlotBusyError, SlotCapture, type BatchReport, type WarehouseAccess } from '../capture/slot-capture.js';
import { SmeltError, SmeltErrors } from '../errors.js';
import { selectNodesDetailed } from '../graph/selector.js';
import type { SourceNode } from '../manifest/types.js';
import { redactor, writeManifest, writeRunResults } from '../runner/artifacts.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import { LockError, lockTarget } from '../runner/target-lock.js';
import type { Session } from '../session.js';

export interface CaptureOptions {
  select?: string[];
  exclude?: string[];
  /** Drain what the slots hold now and exit (else follow until signalled). */
  once?: boolean;
  /** Seconds between polls when following. */
  poll?: number;
  /** pgoutput messages per batch. */
  batchSize?: number;
  /** Seconds to wait for another command writing to the target. */
  wait?: number;
  /** Drop the slots and change logs and start over from a new snapshot (create_slot: true). */
  fullRefresh?: boolean;
  /** Drop the slots (and publications, with create_slot: true), then exit. */
  dropSlot?: boolean;
  /** Only check the operational database's setup, then exit. */
  check?: boolean;
  /** Stops following after the current batch. */
  signal?: AbortSignal;
  /** Told the passwords of the capture: connections, so the caller can keep them out of what it prints. */
  onSecrets?(secrets: string[]): void;
}

interface Totals {
  snapshotRows: number;
  events: number;
  newEvents: number;
  duplicates: number;
  batches: number;
}

/**
 * `smelt capture`: reads the replication slots of the selected live CDC sources (sources with
 * `cdc.capture`) into their change logs: an initial snapshot the first time, then the changes,
 * batch by batch, until stopped (or once with --once). The target is locked per batch, so
 * `smelt run` can build between batches (core/capture/README.md).
 */
export async function captureTask(session: Session, options: CaptureOptions, reporter: Reporter): Promise<RunSummary> {
  const started = performance.now();
  const { manifest, dag } = session.compiled;
  const { selected, unmatched } = selectNodesDetailed(manifest, dag, { select: options.select, exclude: options.exclude, resourceTypes: ['source'] });
  for (const selector of unmatched) reporter.warn(`Nothing matches the selector '${selector}'`);
  const nodes = selected.map((id) => manifest.sources[id]).filter((s): s is SourceNode => !!s && hasCapture(s));
  const { groups, secrets, warnings } = captureGroups(session, nodes);
  options.onSecrets?.(secrets);
  warnings.forEach((w) => reporter.warn(w));
  const redact = redactor([...session.target.secrets, ...secrets]);
  writeManifest(session.targetPath, manifest, redact);
  const summary = (results: NodeResult[]): RunSummary => ({ command: 'capture', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) });

  if (groups.length === 0) {
    reporter.info('Nothing to do: no live CDC sources are selected (sources with a capture: block under cdc:).');
    return summary([]);
  }
  for (const group of groups) {
    const extra = group.sources.filter((s) => !nodes.some((n) => n.uniqueId === s.source.uniqueId));
    if (extra.length > 0) reporter.info(`Slot ${group.slot} also feeds ${extra.map((s) => s.source.name).join(', ')}: they are captured together.`);
  }
  if (options.dropSlot) {
    for (const group of groups) await SlotCapture.drop(group, (m) => reporter.info(m));
    return summary([]);
  }
  if (options.check) {
    for (const group of groups) {
      reporter.info(`Slot ${group.slot} (${group.sources.map((s) => s.source.name).join(', ')}):`);
      for (const line of await SlotCapture.check(group)) reporter.info(`  ${line}`);
    }
    return summary([]);
  }

  // Opened (and the target locked) when a drain first has something to write, and closed when the
  // drain ends: between drains `smelt run` (or build) can take the target.
  let open: { adapter: Adapter; release: () => Promise<void> } | undefined;
  const warehouse: WarehouseAccess = async (fn) => {
    if (!open) {
      const raw = await createAdapter(session.target, session.root, session.threads);
      const adapter = reporter.debugEnabled && reporter.debug ? withSqlLog(raw, (m) => reporter.debug?.(redact(m))) : raw;
      let release: (() => Promise<void>) | undefined;
      try {
        release = await lockTarget(session, adapter, 'capture', reporter, options.wait);
        await adapter.open();
      } catch (error) {
        await release?.();
        await adapter.close();
        throw error;
      }
      open = { adapter, release };
    }
    return fn(open.adapter);
  };
  const closeWarehouse = async () => {
    const held = open;
    open = undefined;
    if (!held) return;
    try {
      await held.release();
    } finally {
      await held.adapter.close();
    }
  };

  const totals = new Map<string, Totals>(groups.flatMap((g) => g.sources.map((s) => [s.source.uniqueId, { snapshotRows: 0, events: 0, newEvents: 0, duplicates: 0, batches: 0 }])));
  const failures = new Map<string, SmeltError>();
  const captures = new Map<CaptureGroup, SlotCapture>();
  const crash = faultInjection(session.run.env);
  const openGroup = async (group: CaptureGroup) => {
    const { capture, snapshot } = await SlotCapture.open({
      group, warehouse, batchSize: options.batchSize, fullRefresh: options.fullRefresh,
      log: (m) => reporter.info(m), warn: (m, hint) => reporter.warn(hint ? `${m}\n  hint: ${hint}` : m), afterAppend: crash,
    }).finally(closeWarehouse);
    captures.set(group, capture);
    if (snapshot) record(snapshot, group);
  };
  const record = (report: BatchReport, group: CaptureGroup) => {
    addToTotals(totals, report);
    if (report.kind !== 'idle') reporter.info(`  ${describeBatch(report, group)}`);
  };

  reporter.info(`Capturing ${describeSources(groups)} on ${session.target.name} (${session.target.config.type})`);
  try {
    // A setup problem (wal_level, replica identity, a missing slot ...) ends the command: exit code 2.
    for (const group of groups) await openGroup(group);
    if (!options.once) reporter.info(`Following ${groups.length === 1 ? `slot ${groups[0]!.slot}` : `${groups.length} slots`} every ${options.poll ?? 1}s; Ctrl-C stops after the current batch.`);
    let retryDelay = options.poll ?? 1;
    while (!options.signal?.aborted) {
      let retrying = false;
      for (const group of groups) {
        if (options.signal?.aborted || failures.has(group.sources[0]!.source.uniqueId)) continue;
        try {
          if (!captures.has(group)) await openGroup(group);
          try {
            for (;;) {
              const report = await captures.get(group)!.poll();
              record(report, group);
              if (!report.more || options.signal?.aborted) break;
            }
          } finally {
            await closeWarehouse();
          }
        } catch (error) {
          if (!(error instanceof SmeltError)) throw error;
          await captures.get(group)?.close();
          captures.delete(group);
          // Following, a busy target or a lost connection is waited out; anything else stops this slot.
          if (!options.once && error.kind === 'database' && !(error instanceof SlotBusyError)) {
            reporter.warn(`${error instanceof LockError ? 'The target is busy' : `Capture from slot ${group.slot} failed`}: ${redact(error.message)}; trying again in ${retryDelay}s`);
            retrying = true;
          } else {
            for (const s of group.sources) failures.set(s.source.uniqueId, error);
          }
        }
      }
      if (options.once || failures.size === totals.size) break;
      await sleep((retrying ? retryDelay : options.poll ?? 1) * 1000, options.signal);
      retryDelay = retrying ? Math.min(retryDelay * 2, 30) : options.poll ?? 1;
    }
    if (!options.once) reporter.info('Stopped.');
  } finally {
    await closeWarehouse();
    for (const capture of captures.values()) await capture.close();
  }

  const elapsed = (performance.now() - started) / 1000;
  const results = groups.flatMap((group) => group.sources.map((s) => ({ ...sourceResult(s.source.uniqueId, s.source.name, s.source.path, totals.get(s.source.uniqueId)!, failures.get(s.source.uniqueId), redact), executionTime: elapsed })));
  results.forEach((result, i) => {
    reporter.nodeFinished(i + 1, results.length, result);
    if (result.status === 'success' && result.message) reporter.info(`      ${result.message}`);
  });
  const done = summary(results);
  writeRunResults(session.targetPath, done, { ...manifest.metadata }, redact);
  reporter.summary(done);
  return done;
}

/**
 * What `smelt build` does for the live sources its models read: drains each slot once on the
 * build's (open) warehouse. A slot that a running `smelt capture` reads is left to it.
 */
export async function captureSources(session: Session, adapter: Adapter, nodes: readonly SourceNode[], reporter: Reporter, redact: (text: string) => string): Promise<Map<string, NodeResult>> {
  const results = new Map<string, NodeResult>();
  const { groups } = captureGroups(session, nodes);
  const warehouse: WarehouseAccess = (fn) => fn(adapter);
  for (const group of groups) {
    const startedAt = new Date().toISOString();
    const clock = performance.now();
    const totals = new Map<string, Totals>(group.sources.map((s) => [s.source.uniqueId, { snapshotRows: 0, events: 0, newEvents: 0, duplicates: 0, batches: 0 }]));
    let failure: SmeltError | undefined;
    let busy: string | undefined;
    let capture: SlotCapture | undefined;
    try {
      const opened = await SlotCapture.open({ group, warehouse, log: (m) => reporter.info(`      ${m}`), warn: (m) => reporter.warn(m), slotWaitSeconds: 3 });
      capture = opened.capture;
      const reports = opened.snapshot ? [opened.snapshot] : [];
      for (;;) {
        const report = await capture.poll();
        reports.push(report);
        if (!report.more) break;
      }
      for (const report of reports) addToTotals(totals, report);
    } catch (error) {
      if (error instanceof SlotBusyError) busy = `slot ${group.slot} is being read by another smelt capture, which keeps this change log up to date`;
      else if (error instanceof SmeltError) failure = error;
      else if (error instanceof SmeltErrors) failure = error.errors[0];
      else throw error;
    } finally {
      await capture?.close();
    }
    for (const { source } of group.sources) {
      if (!nodes.some((n) => n.uniqueId === source.uniqueId)) continue;
      const result = sourceResult(source.uniqueId, source.name, source.path, totals.get(source.uniqueId)!, failure, redact);
      results.set(source.uniqueId, {
        ...result, startedAt, executionTime: (performance.now() - clock) / 1000,
        ...(busy ? { message: busy, warnings: [busy] } : {}),
      });
    }
  }
  return results;
}

/** Adds a batch's counts to each of its sources' running totals. */
function addToTotals(totals: Map<string, Totals>, report: BatchReport): void {
  for (const [id, stats] of report.sources) {
    const total = totals.get(id)!;
    if (report.kind === 'snapshot') total.snapshotRows += stats.newEvents;
    else total.events += stats.events;
    total.newEvents += stats.newEvents;
    total.duplicates += stats.duplicates;
    total.batches++;
  }
}

function sourceResult(id: string, name: string, path: string, totals: Totals, failure: SmeltError | undefined, redact: (text: string) => string): NodeResult {
  const now = new Date().toISOString();
  const base = { uniqueId: id, name, resourceType: 'source', materialization: 'capture', startedAt: now, completedAt: now, executionTime: 0, file: path };
  if (failure) return { ...base, status: 'error', message: redact(failure.message), where: failure.where || path, ...(failure.hint ? { hint: failure.hint } : {}), warnings: [] };
  const parts: string[] = [];
  if (totals.snapshotRows) parts.push(`snapshot of ${totals.snapshotRows} row${totals.snapshotRows === 1 ? '' : 's'}`);
  parts.push(`${totals.events} change${totals.events === 1 ? '' : 's'}: ${totals.newEvents - totals.snapshotRows} new${totals.duplicates ? `, ${totals.duplicates} already loaded` : ''}`);
  return { ...base, status: 'success', rowsAffected: totals.newEvents, message: parts.join('; '), warnings: [] };
}

function describeSources(groups: readonly CaptureGroup[]): string {
  const count = groups.reduce((n, g) => n + g.sources.length, 0);
  return `${count} live CDC source${count === 1 ? '' : 's'} from ${groups.map((g) => `${g.connection.user}@${g.connection.host}:${g.connection.port}/${g.connection.database} (slot ${g.slot})`).join(', ')}`;
}

/** `0/16B3748..0/16B4000: 3 transactions, 12 events: shop_live.customers 10 new, ... (0.05s)`. */
export function describeBatch(report: BatchReport, group: CaptureGroup): string {
  const names = new Map(group.sources.map((s) => [s.source.uniqueId, s.source.name]));
  const perSource = [...report.sources].filter(([, s]) => s.events > 0)
    .map(([id, s]) => `${names.get(id)} ${s.newEvents} new${s.duplicates ? `, ${s.duplicates} already loaded` : ''}`);
  const seconds = `(${report.seconds.toFixed(2)}s)`;
  if (report.kind === 'snapshot') return `initial snapshot at ${report.from}: ${report.events} rows: ${perSource.join('; ') || 'empty tables'} ${seconds}`;
  const skipped = report.skipped ? `; ${report.skipped} for other tables skipped` : '';
  return `${report.from}..${report.to}: ${report.transactions} transaction${report.transactions === 1 ? '' : 's'}, ${report.events} event${report.events === 1 ? '' : 's'}${perSource.length ? `: ${perSource.join('; ')}` : ''}${skipped} ${seconds}`;
}

/**
 * For crash tests only: SMELT_TEST_CAPTURE_CRASH=after-append[:N] kills the process (SIGKILL)
 * after the Nth batch is committed to the change logs and before its slot is advanced.
 */
function faultInjection(env: NodeJS.ProcessEnv): (() => void) | undefined {
  const match = /^after-append(?::(\d+))?$/.exec(env.SMELT_TEST_CAPTURE_CRASH ?? '');
  if (!match) return undefined;
  let left = Number(match[1] ?? 1);
  return () => {
    if (--left <= 0) process.kill(process.pid, 'SIGKILL');
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

