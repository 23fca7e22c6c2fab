import { createHash } from 'node:crypto';

/**
 * dbt's names for generic tests, so `smelt test -s not_null_orders_order_id` and stored-failure
 * tables match what dbt users already know: `<test>_<model>_<args...>`, and when that reaches 64
 * characters, the first 30 characters of `<test>_<model>` and an md5 of the full name.
 */
export function genericTestName(testName: string, targetName: string, args: Record<string, unknown>): { shortName: string; fullName: string } {
  const flat: string[] = [];
  for (const key of Object.keys(args).sort()) {
    if (key === 'model') continue;
    const value = args[key];
    const parts = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.values(value) : [value];
    flat.push(...parts.map(pythonStr));
  }
  const unique = flat.map((part) => part.replace(/[^0-9a-zA-Z_]+/g, '_')).join('__');
  const identifier = `${testName}_${targetName}`;
  const fullName = `${identifier}_${unique}`;
  if (fullName.length >= 64) {
    return { shortName: `${identifier.slice(0, 30)}_${createHash('md5').update(fullName).digest('hex')}`, fullName };
  }
  return { shortName: fullName, fullName };
}

/** How Python's str() prints a YAML value, which dbt's names are made of. */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
