import type { Dialect } from '../adapters/dialect.js';
import type { CompiledNode } from '../manifest/types.js';
import { acceptedValuesList } from './builtin-tests.js';
import { testSettings } from './test-config.js';

/**
 * dbt runs one query per test. When several not_null, unique and accepted_values tests read the
 * same relation, one aggregate query answers them all in a single scan:
 *
 *   select count(*) filter (where order_id is null)                       -- not_null
 *        , count(distinct status) filter (where status not in ('a', 'b'))  -- accepted_values
 *        , count(customer_key) - count(distinct customer_key)              -- unique
 *   from "main"."fact_sales"
 *
 * The not_null and accepted_values counts are exactly what dbt's queries count (failing rows;
 * distinct failing values). For unique, 0 means no duplicates, exactly as dbt's query would
 * find; any other number only says there are some, so that test is run again on its own for
 * dbt's count (the number of duplicated values). bench/tests/ measures the gain: about 5x on
 * PostgreSQL; none on DuckDB, which answers a lone `col is null` from its column statistics, so
 * adapters opt in with the `sharedTestScans` capability.
 */
export const BATCHABLE_TESTS: ReadonlySet<string> = new Set(['not_null', 'unique', 'accepted_values']);

/** Most aggregates in one query; beyond that a wide query stops paying off. */
export const MAX_BATCH = 100;

export function isBatchable(test: CompiledNode, attached: { config: Record<string, unknown> } | undefined, forceStoreFailures: boolean): boolean {
  const meta = test.test;
  if (!meta || meta.type !== 'generic' || !meta.builtin || !meta.name || !BATCHABLE_TESTS.has(meta.name)) return false;
  if (!attached || attached.config.materialized === 'ephemeral' || meta.columnName === undefined) return false;
  const settings = testSettings(test.config);
  return !settings.storeFailures && !forceStoreFailures && settings.limit === undefined && settings.failCalc.replace(/\s+/g, '').toLowerCase() === 'count(*)';
}

export interface BatchQuery {
  sql: string;
  /** Column alias of each test's count, in the order of `tests`. */
  aliases: string[];
}

export function batchQuery(relation: string, tests: readonly CompiledNode[], dialect: Dialect): BatchQuery {
  const aliases: string[] = [];
  const columns = tests.map((test, index) => {
    const alias = `f${index}`;
    aliases.push(alias);
    const column = test.test!.columnName!;
    const where = testSettings(test.config).where;
    const filter = (condition: string) => (where ? `(${where}) and (${condition})` : condition);
    switch (test.test!.name) {
      case 'not_null':
        return `count(*) filter (where ${filter(`${column} is null`)}) as ${alias}`;
      case 'accepted_values': {
        const values = acceptedValuesList({ args: test.test!.kwargs, at: () => ({}), literal: (v) => dialect.literal(v) });
        return `count(distinct ${column}) filter (where ${filter(`${column} not in (${values.join(', ')})`)}) as ${alias}`;
      }
      default: // unique
        return where
          ? `count(${column}) filter (where ${where}) - count(distinct ${column}) filter (where ${where}) as ${alias}`
          : `count(${column}) - count(distinct ${column}) as ${alias}`;
    }
  });
  return { sql: `select\n  ${columns.join(',\n  ')}\nfrom ${relation}`, aliases };
}
