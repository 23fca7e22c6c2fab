import { ConfigError, type ErrorLocation } from '../errors.js';

/**
 * Test config, as dbt spells it: `severity`, `warn_if`, `error_if`, `where`, `limit`,
 * `fail_calc`, `store_failures`, `tags`, `enabled` ... from project.yml (`data_tests:` or
 * `tests:` folder config), the test entry's `config:` block (or its top-level keys, dbt's older
 * spelling) and, for singular tests, the file's own `config()` call.
 */
export const TEST_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'severity', 'tags', 'enabled', 'where', 'limit', 'warn_if', 'error_if', 'fail_calc', 'store_failures',
  'store_failures_as', 'meta', 'database', 'schema', 'alias',
]);

/** The default schema suffix for stored failures, as dbt names it: `<target schema>_dbt_test__audit`. */
export const AUDIT_SCHEMA = 'dbt_test__audit';

/** `!= 0`, `> 10`, `>= 5` ...: the comparison a failure count is held against. */
export interface Threshold {
  operator: '=' | '!=' | '>' | '>=' | '<' | '<=';
  value: number;
}

const THRESHOLD = /^\s*(==|=|!=|<>|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseThreshold(text: unknown, key: string, where: ErrorLocation): Threshold {
  const match = typeof text === 'string' || typeof text === 'number' ? THRESHOLD.exec(String(text)) : null;
  if (!match) {
    throw new ConfigError(`${key} must be a comparison with a number, like "!= 0" or ">10", not ${JSON.stringify(text)}`, where, `Example: ${key}: ">10"`);
  }
  const op = match[1] === '==' ? '=' : match[1] === '<>' ? '!=' : (match[1] as Threshold['operator']);
  return { operator: op, value: Number(match[2]) };
}

export function holds(threshold: Threshold, failures: number): boolean {
  const { operator, value } = threshold;
  switch (operator) {
    case '=': return failures === value;
    case '!=': return failures !== value;
    case '>': return failures > value;
    case '>=': return failures >= value;
    case '<': return failures < value;
    case '<=': return failures <= value;
  }
}

/** The normalised config every test node carries (kept in node.config next to dbt's own keys). */
export interface TestSettings {
  severity: 'ERROR' | 'WARN';
  warnIf: Threshold;
  errorIf: Threshold;
  limit?: number;
  where?: string;
  failCalc: string;
  storeFailures: boolean;
}

/**
 * Checks and normalises the keys smelt acts on. Problems are ConfigErrors at `where` (the test's
 * YAML entry or file); the values stay in node.config as dbt writes them.
 */
export function normaliseTestConfig(config: Record<string, unknown>, where: ErrorLocation): Record<string, unknown> {
  const out = { ...config };
  const severity = String(config.severity ?? 'error').toUpperCase();
  if (severity !== 'ERROR' && severity !== 'WARN') {
    throw new ConfigError(`severity must be 'error' or 'warn', not ${JSON.stringify(config.severity)}`, where, 'Example: config: {severity: warn}');
  }
  out.severity = severity;
  out.warn_if = String(config.warn_if ?? '!= 0');
  out.error_if = String(config.error_if ?? '!= 0');
  parseThreshold(out.warn_if, 'warn_if', where);
  parseThreshold(out.error_if, 'error_if', where);
  if (config.limit !== undefined && config.limit !== null) {
    const limit = Number(config.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new ConfigError(`limit must be a whole number, not ${JSON.stringify(config.limit)}`, where);
    out.limit = limit;
  }
  if (config.where !== undefined && config.where !== null && typeof config.where !== 'string') {
    throw new ConfigError(`where must be a SQL condition as text, not ${JSON.stringify(config.where)}`, where, `Example: where: "order_date >= '2024-01-01'"`);
  }
  if (config.fail_calc !== undefined && typeof config.fail_calc !== 'string') {
    throw new ConfigError(`fail_calc must be a SQL expression as text, like "count(*)"`, where);
  }
  if (config.store_failures_as !== undefined && config.store_failures_as !== 'table' && config.store_failures_as !== 'ephemeral') {
    throw new ConfigError(`store_failures_as: ${JSON.stringify(config.store_failures_as)} is not supported; failing rows are stored as a table`, where, 'Use store_failures: true (or store_failures_as: table).');
  }
  out.fail_calc = config.fail_calc ?? 'count(*)';
  out.store_failures = config.store_failures === true || config.store_failures_as === 'table';
  return out;
}

/** Reads the normalised settings back from a test node's config. */
export function testSettings(config: Record<string, unknown>): TestSettings {
  const nowhere = {};
  return {
    severity: config.severity === 'WARN' ? 'WARN' : 'ERROR',
    warnIf: parseThreshold(config.warn_if ?? '!= 0', 'warn_if', nowhere),
    errorIf: parseThreshold(config.error_if ?? '!= 0', 'error_if', nowhere),
    ...(typeof config.limit === 'number' ? { limit: config.limit } : {}),
    ...(typeof config.where === 'string' && config.where.trim() !== '' ? { where: config.where } : {}),
    failCalc: typeof config.fail_calc === 'string' ? config.fail_calc : 'count(*)',
    storeFailures: config.store_failures === true,
  };
}

/** dbt's rule: `fail` when the error condition holds at error severity, else `warn` when the warn condition holds. */
export function testStatus(settings: TestSettings, failures: number): 'pass' | 'warn' | 'fail' {
  if (settings.severity === 'ERROR' && holds(settings.errorIf, failures)) return 'fail';
  if (holds(settings.warnIf, failures)) return 'warn';
  return 'pass';
}

export function describeThreshold(threshold: Threshold): string {
  return `${threshold.operator} ${threshold.value}`;
}
