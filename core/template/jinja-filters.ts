import type nunjucks from 'nunjucks';
import { splitArgs } from './keyword-args.js';
import { PyFloat, equals, isDict, isNumber, isSafeString, pyJson, pyStr, percentFormat, toFloat, truthy, unwrap, contains } from './python-values.js';

/**
 * Jinja2's filters and tests where nunjucks lacks them or behaves differently: keyword
 * arguments (`map(attribute='name')`, `default('x', boolean=true)`), `list` of a dict (its keys),
 * `round` (a float, half to even), `tojson` (Python's json.dumps, sorted keys, HTML-safe),
 * `groupby` (a list of (grouper, list)), plus the ones nunjucks does not have (`map`, `unique`,
 * `min`, `max`, `items`, `format`, dbt's `as_bool`/`as_number`/`as_text`/`as_native`).
 */
type Filter = (this: unknown, value: unknown, ...args: unknown[]) => unknown;

/** Binds positional and keyword arguments to Jinja's parameter names (after the value). */
function jinja(params: readonly string[], fn: (this: any, value: any, args: Record<string, any>) => unknown): Filter {
  return function (this: unknown, value: unknown, ...rest: unknown[]) {
    const { positional, keywords } = splitArgs(rest);
    const args: Record<string, unknown> = {};
    params.forEach((name, i) => {
      if (i < positional.length) args[name] = positional[i];
      else if (name in keywords) args[name] = keywords[name];
    });
    args.__extra = positional.slice(params.length);
    args.__keywords = keywords;
    return fn.call(this, value, args);
  };
}

/** `attribute` may be dotted (`user.name`) or a list index, as in Jinja. */
function attribute(item: unknown, path: unknown): unknown {
  let current = item;
  for (const part of String(path).split('.')) {
    if (current === null || current === undefined) return undefined;
    const key = /^\d+$/.test(part) && Array.isArray(current) ? Number(part) : part;
    current = (current as Record<string | number, unknown>)[key];
    if (typeof current === 'function' && !Array.isArray(item)) current = undefined;
  }
  return current;
}

function items(value: unknown): unknown[] {
  const v = unwrap(value);
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [...v];
  if (Array.isArray(v)) return v;
  if (v instanceof Map || v instanceof Set) return [...v.keys()];
  if (isDict(v)) return Object.keys(v);
  if (typeof v === 'object' && Symbol.iterator in v) return [...(v as Iterable<unknown>)];
  throw new Error(`'${typeof v}' object is not iterable`);
}

function sortKey(value: unknown, caseSensitive: boolean): unknown {
  const v = unwrap(value);
  return !caseSensitive && typeof v === 'string' ? v.toLowerCase() : v;
}

function compare(a: unknown, b: unknown): number {
  const x = unwrap(a) as never;
  const y = unwrap(b) as never;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Python's round(): half to even on exact ties, always a float. */
export function pyRound(value: number, precision = 0, method = 'common'): number | PyFloat {
  const factor = 10 ** precision;
  if (method === 'ceil') return toFloat(Math.ceil(value * factor) / factor);
  if (method === 'floor') return toFloat(Math.floor(value * factor) / factor);
  if (precision < 0) return toFloat(Math.round(value * factor) / factor);
  const scaled = value * factor;
  const floor = Math.floor(scaled);
  // A tie only when the value really ends in 5 at that place (2.675 is 2.67499... in binary).
  if (scaled - floor === 0.5 && Number(value.toFixed(precision + 1)) === value) {
    return toFloat((floor % 2 === 0 ? floor : floor + 1) / factor);
  }
  return toFloat(Number(value.toFixed(precision)));
}

export function installJinjaFilters(env: nunjucks.Environment): void {
  const getTest = (name: string): ((this: unknown, ...a: unknown[]) => unknown) => {
    const test = (env as unknown as { getTest(n: string): ((...a: unknown[]) => unknown) | undefined }).getTest(name);
    if (!test) throw new Error(`no test named '${name}'`);
    return test;
  };
  const getFilter = (name: string): Filter => env.getFilter(name) as Filter;
  const filters: Record<string, Filter> = {
    default: jinja(['default_value', 'boolean'], (value, a) => {
      const fallback = a.default_value ?? '';
      if (value === undefined) return fallback;
      return a.boolean && !truthy(value) ? fallback : value;
    }),
    join: jinja(['d', 'attribute'], (value, a) => {
      const list = items(value).map((item) => (a.attribute !== undefined && a.attribute !== null ? attribute(item, a.attribute) : item));
      return list.map((item) => pyStr(item)).join(pyStr(a.d ?? ''));
    }),
    replace: jinja(['old', 'new', 'count'], (value, a) => {
      const text = pyStr(value);
      const old = pyStr(a.old);
      const parts = text.split(old);
      const count = a.count === undefined || a.count === null ? parts.length : Number(a.count) + 1;
      return [parts.slice(0, count).join(pyStr(a.new)), ...parts.slice(count)].join(old);
    }),
    list: jinja([], (value) => [...items(value)]),
    map: jinja([], function (this: unknown, value, a) {
      const list = items(value);
      const keywords = a.__keywords as Record<string, unknown>;
      if ('attribute' in keywords) {
        return list.map((item) => {
          const found = attribute(item, keywords.attribute);
          return found === undefined && 'default' in keywords ? keywords.default : found;
        });
      }
      const [name, ...args] = a.__extra as unknown[];
      const filter = getFilter(String(name));
      return list.map((item) => filter.call(this, item, ...args));
    }),
    selectattr: selectOrReject(true, true),
    rejectattr: selectOrReject(false, true),
    select: selectOrReject(true, false),
    reject: selectOrReject(false, false),
    tojson: jinja(['indent'], (value, a) =>
      pyJson(value, { sortKeys: true, indent: a.indent ?? undefined }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027')),
    int: jinja(['default', 'base'], (value, a) => {
      const v = unwrap(value);
      if (typeof v === 'boolean') return Number(v);
      if (typeof v === 'number') return Math.trunc(v);
      const text = String(v ?? '').trim();
      const base = Number(a.base ?? 10);
      if (base === 10 && /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$|^[-+]?\.\d+$/.test(text)) return Math.trunc(Number(text));
      const parsed = parseInt(text, base);
      return Number.isNaN(parsed) ? (a.default ?? 0) : parsed;
    }),
    float: jinja(['default'], (value, a) => {
      const v = unwrap(value);
      const n = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(inf|nan)\s*$/i.test(String(v)) ? Number(String(v).replace(/inf/i, 'Infinity')) : NaN;
      return Number.isNaN(n) && !/nan/i.test(String(v)) ? toFloat(Number(unwrap(a.default ?? 0))) : toFloat(n);
    }),
    round: jinja(['precision', 'method'], (value, a) => pyRound(Number(unwrap(value)), Number(a.precision ?? 0), String(a.method ?? 'common'))),
    abs: jinja([], (value) => (value instanceof PyFloat ? value : Math.abs(Number(unwrap(value))))),
    string: jinja([], (value) => pyStr(value)),
    lower: jinja([], (value) => pyStr(value).toLowerCase()),
    upper: jinja([], (value) => pyStr(value).toUpperCase()),
    trim: jinja(['chars'], (value, a) => {
      const text = pyStr(value);
      if (a.chars === undefined || a.chars === null) return text.trim();
      const chars = String(a.chars);
      let start = 0;
      let end = text.length;
      while (start < end && chars.includes(text[start]!)) start++;
      while (end > start && chars.includes(text[end - 1]!)) end--;
      return text.slice(start, end);
    }),
    length: jinja([], (value) => {
      const v = unwrap(value);
      if (v === null || v === undefined) return 0;
      if (v instanceof Map || v instanceof Set) return v.size;
      if (isDict(v)) return Object.keys(v).length;
      return (v as { length?: number }).length ?? 0;
    }),
    first: jinja([], (value) => items(value)[0]),
    last: jinja([], (value) => {
      const list = items(value);
      return list[list.length - 1];
    }),
    unique: jinja(['case_sensitive', 'attribute'], (value, a) => {
      const seen: unknown[] = [];
      const result: unknown[] = [];
      for (const item of items(value)) {
        const key = sortKey(a.attribute !== undefined ? attribute(item, a.attribute) : item, !!a.case_sensitive);
        if (!seen.some((s) => equals(s, key))) {
          seen.push(key);
          result.push(item);
        }
      }
      return result;
    }),
    min: jinja(['case_sensitive', 'attribute'], (value, a) => extreme(items(value), a, -1)),
    max: jinja(['case_sensitive', 'attribute'], (value, a) => extreme(items(value), a, 1)),
    sum: jinja(['attribute', 'start'], (value, a) => {
      let total: unknown = a.start ?? 0;
      for (const item of items(value)) {
        const v = a.attribute !== undefined ? attribute(item, a.attribute) : item;
        total = total instanceof PyFloat || v instanceof PyFloat ? toFloat(Number(total) + Number(v)) : Number(unwrap(total)) + Number(unwrap(v));
      }
      return total;
    }),
    sort: jinja(['reverse', 'case_sensitive', 'attribute'], (value, a) => {
      const keyOf = (item: unknown) => sortKey(a.attribute !== undefined && a.attribute !== null ? attribute(item, a.attribute) : item, !!a.case_sensitive);
      const sorted = [...items(value)].sort((x, y) => compare(keyOf(x), keyOf(y)));
      return a.reverse ? sorted.reverse() : sorted;
    }),
    reverse: jinja([], (value) => {
      const v = unwrap(value);
      return typeof v === 'string' ? [...v].reverse().join('') : [...items(v)].reverse();
    }),
    items: jinja([], (value) => {
      const v = unwrap(value);
      if (v === undefined || v === null) return [];
      if (v instanceof Map) return [...v.entries()];
      return Object.entries(v as object);
    }),
    groupby: jinja(['attribute', 'default', 'case_sensitive'], (value, a) => {
      const groups: { grouper: unknown; list: unknown[] }[] = [];
      const keyOf = (item: unknown) => {
        const found = attribute(item, a.attribute);
        return found === undefined ? a.default : found;
      };
      const sorted = [...items(value)].sort((x, y) => compare(sortKey(keyOf(x), !!a.case_sensitive), sortKey(keyOf(y), !!a.case_sensitive)));
      for (const item of sorted) {
        const key = keyOf(item);
        const last = groups[groups.length - 1];
        if (last && equals(sortKey(last.grouper, !!a.case_sensitive), sortKey(key, !!a.case_sensitive))) last.list.push(item);
        else groups.push({ grouper: key, list: [item] });
      }
      // Each group is a (grouper, list) pair that also has .grouper and .list.
      return groups.map((g) => Object.assign([g.grouper, g.list], { grouper: g.grouper, list: g.list }));
    }),
    format: function (this: unknown, value: unknown, ...rest: unknown[]) {
      const { positional, keywords } = splitArgs(rest);
      return percentFormat(pyStr(value), Object.keys(keywords).length > 0 ? keywords : positional);
    },
    indent: jinja(['width', 'first', 'blank'], (value, a) => {
      const pad = typeof a.width === 'string' ? a.width : ' '.repeat(Number(a.width ?? 4));
      const lines = pyStr(value).split('\n');
      return lines.map((line, i) => ((i === 0 && !a.first) || (!a.blank && line.trim() === '' && i > 0) ? line : pad + line)).join('\n');
    }),
    attr: jinja(['name'], (value, a) => (value as Record<string, unknown> | null | undefined)?.[String(a.name)]),
    wordcount: jinja([], (value) => (pyStr(value).match(/\w+/g) ?? []).length),
    title: jinja([], (value) => pyStr(value).replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())),
    capitalize: jinja([], (value) => {
      const text = pyStr(value);
      return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
    }),
    // dbt's own filters, for YAML and native rendering: values are already native here.
    as_text: jinja([], (value) => pyStr(value)),
    as_bool: jinja([], (value) => {
      const v = unwrap(value);
      return typeof v === 'string' && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === 'true' : v;
    }),
    as_number: jinja([], (value) => {
      const v = unwrap(value);
      return typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
    }),
    as_native: jinja([], (value) => unwrap(value)),
  };
  filters.d = filters.default!;
  filters.count = filters.length!;
  for (const [name, filter] of Object.entries(filters)) env.addFilter(name, filter);

  function selectOrReject(keep: boolean, byAttribute: boolean): Filter {
    return function (this: unknown, value: unknown, ...rest: unknown[]) {
      const { positional } = splitArgs(rest);
      const [attr, testName, ...args] = byAttribute ? positional : [undefined, ...positional];
      const test = testName === undefined ? (v: unknown) => truthy(v) : (v: unknown) => getTest(String(testName)).call(this, v, ...args) === true;
      return items(value).filter((item) => test(byAttribute ? attribute(item, attr) : item) === keep);
    };
  }

  const tests: Record<string, (value: unknown, ...args: unknown[]) => boolean> = {
    none: (v) => v === null,
    true: (v) => v === true,
    false: (v) => v === false,
    boolean: (v) => typeof v === 'boolean',
    integer: (v) => typeof v === 'number' && Number.isInteger(v),
    float: (v) => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v)),
    number: (v) => isNumber(v),
    string: (v) => typeof v === 'string' || isSafeString(v),
    mapping: (v) => isDict(v),
    sequence: (v) => Array.isArray(v) || typeof v === 'string' || isSafeString(v) || isDict(v),
    iterable: (v) => Array.isArray(v) || typeof v === 'string' || isSafeString(v) || isDict(v) || v instanceof Map || v instanceof Set,
    in: (v, container) => contains(container, v),
    eq: (v, other) => equals(v, other),
    ne: (v, other) => !equals(v, other),
    lower: (v) => { const t = pyStr(v); return t === t.toLowerCase(); },
    upper: (v) => { const t = pyStr(v); return t === t.toUpperCase(); },
  };
  tests['=='] = tests.eq!;
  tests.equalto = tests.eq!;
  tests['!='] = tests.ne!;
  const ordered: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };
  for (const [op, fn] of Object.entries(ordered)) tests[op] = (v, other) => fn(unwrap(v) as number, unwrap(other) as number);
  for (const [name, test] of Object.entries(tests)) (env as unknown as { addTest(n: string, t: unknown): void }).addTest(name, test);
}

function extreme(list: unknown[], a: Record<string, unknown>, sign: number): unknown {
  let best: unknown;
  let bestKey: unknown;
  for (const item of list) {
    const key = sortKey(a.attribute !== undefined ? attribute(item, a.attribute) : item, !!a.case_sensitive);
    if (best === undefined || compare(key, bestKey) * sign > 0) {
      best = item;
      bestKey = key;
    }
  }
  return best;
}
