import { z } from 'zod';
import { withConnection } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { ConfigError, SmeltError } from '../errors.js';
import { selectNodesDetailed } from '../graph/selector.js';
import type { SourceNode } from '../manifest/types.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { Reporter } from '../runner/reporter.js';
import { isFailure, type NodeResult, type RunSummary } from '../runner/results.js';
import type { Session } from '../session.js';
import { join } from 'node:path';

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;
const threshold = z.strictObject({ count: z.number().positive(), period: z.enum(['minute', 'hour', 'day']) });
const freshnessSchema = z.strictObject({
  warn_after: threshold.nullish(),
  error_after: threshold.nullish(),
  filter: z.string().nullish(),
});

export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export interface FreshnessResult extends NodeResult {
  maxLoadedAt?: string;
  ageSeconds?: number;
  criteria: { warnAfterSeconds?: number; errorAfterSeconds?: number };
}

/** `smelt source freshness`: how long ago each selected source got new rows, against its thresholds. */
export async function freshnessTask(session: Session, options: { select?: string[]; exclude?: string[] }, reporter: Reporter): Promise<RunSummary> {
  const started = performance.now();
  const { manifest, dag } = session.compiled;
  const { selected } = selectNodesDetailed(manifest, dag, { select: options.select, exclude: options.exclude, resourceTypes: ['source'] });
  const sources = selected.map((id) => manifest.sources[id]!).filter((s) => s.config.freshness !== undefined && s.loadedAtField);
  const results: FreshnessResult[] = [];
  if (sources.length === 0) {
    reporter.info('No selected source has both freshness and loaded_at_field set.');
  } else {
    const adapter = await createAdapter(session.target, session.root, 1);
    try {
      await adapter.open();
      await withConnection(adapter, async (connection) => {
        for (const [i, source] of sources.entries()) {
          const result = await checkOne(source, (sql) => connection.query(sql), adapter.dialect.quote.bind(adapter.dialect), adapter.dialect.relation.bind(adapter.dialect));
          results.push(result);
          reporter.nodeFinished(i + 1, sources.length, result);
        }
      });
    } finally {
      await adapter.close();
    }
  }
  const summary: RunSummary = { command: 'source freshness', results, elapsed: (performance.now() - started) / 1000, success: !results.some(isFailure) };
  writeFileAtomic(join(session.targetPath, 'sources.json'), JSON.stringify({ metadata: manifest.metadata, elapsed: summary.elapsed, results }, null, 1));
  reporter.summary(summary);
  return summary;
}

async function checkOne(
  source: SourceNode,
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  quote: (id: string) => string,
  relation: SourceNode['relation'] extends infer R ? (r: R) => string : never,
): Promise<FreshnessResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const name = `${source.sourceName}.${source.name}`;
  const base = { uniqueId: source.uniqueId, name, resourceType: 'source', materialization: 'freshness', startedAt, warnings: [] };
  const parsed = freshnessSchema.safeParse(source.config.freshness);
  if (!parsed.success) {
    const error = new ConfigError(`freshness of ${name} is malformed: ${parsed.error.issues[0]?.message}`, { file: source.path, node: source.uniqueId }, 'Use warn_after/error_after: {count: 12, period: hour}.');
    return { ...base, status: 'error', executionTime: 0, completedAt: new Date().toISOString(), message: error.message, where: source.path, hint: error.hint, criteria: {} };
  }
  const f = parsed.data;
  const seconds = (t?: { count: number; period: keyof typeof PERIOD_SECONDS } | null) => (t ? t.count * PERIOD_SECONDS[t.period] : undefined);
  const criteria = { warnAfterSeconds: seconds(f.warn_after), errorAfterSeconds: seconds(f.error_after) };
  // loaded_at_field is an expression in dbt (it may be a cast), so it is used as written.
  const field = source.loadedAtField!;
  const sql = `select cast(max(${field}) as varchar) as max_loaded_at,
  extract(epoch from (cast(current_timestamp as timestamp) - cast(max(${field}) as timestamp))) as age_seconds
from ${relation(source.relation)}${f.filter ? `\nwhere ${f.filter}` : ''}`;
  void quote;
  try {
    const [row] = await query(sql);
    const age = row?.age_seconds === null || row?.age_seconds === undefined ? undefined : Number(row.age_seconds);
    let status: FreshnessStatus = 'pass';
    if (age === undefined) status = criteria.errorAfterSeconds !== undefined ? 'error' : 'warn';
    else if (criteria.errorAfterSeconds !== undefined && age > criteria.errorAfterSeconds) status = 'error';
    else if (criteria.warnAfterSeconds !== undefined && age > criteria.warnAfterSeconds) status = 'warn';
    const message = age === undefined ? 'no rows: the source has never been loaded' : `last loaded ${describeAge(age)} ago (${row?.max_loaded_at})`;
    return {
      ...base,
      status: status === 'pass' ? 'pass' : status === 'warn' ? 'warn' : 'fail',
      executionTime: (performance.now() - t0) / 1000,
      completedAt: new Date().toISOString(),
      message,
      ...(row?.max_loaded_at ? { maxLoadedAt: String(row.max_loaded_at) } : {}),
      ...(age !== undefined ? { ageSeconds: age } : {}),
      criteria,
    };
  } catch (error) {
    if (!(error instanceof SmeltError)) throw error;
    return { ...base, status: 'error', executionTime: (performance.now() - t0) / 1000, completedAt: new Date().toISOString(), message: error.message, where: source.path, criteria };
  }
}

export function describeAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}
