import nunjucks from 'nunjucks';

/**
 * Python's value semantics, as Jinja templates (and so dbt projects) rely on them: what is
 * true, what `+`, `*`, `%` and `==` do, and how a value prints. JavaScript differs on every one
 * of these (`[]` is truthy, `[1] + [2]` is "12", `true` prints "true", 10 / 2 prints "5").
 */

const SafeString = (nunjucks as unknown as { runtime: { SafeString: new (value: string) => object } }).runtime.SafeString;

/** A float whose value is whole: prints as Python does (`4.0`), computes as a number. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return floatRepr(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

export function isSafeString(value: unknown): boolean {
  return value instanceof SafeString;
}

/** A plain mapping (dict), not a relation, a date or another class instance. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Strings made by templates (macro output) behave as the strings they are. */
export function unwrap(value: unknown): unknown {
  if (value instanceof SafeString) return String(value);
  if (value instanceof PyFloat) return value.value;
  return value;
}

export function isNumber(value: unknown): boolean {
  return (typeof value === 'number' && !Number.isNaN(value)) || value instanceof PyFloat;
}

/** Python's truth: empty strings, lists and dicts, 0, None and undefined are false. */
export function truthy(value: unknown): boolean {
  const v = unwrap(value);
  if (v === null || v === undefined || v === false || v === 0 || v === '' || Number.isNaN(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

function floatRepr(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isNaN(n)) return 'nan';
  return String(n);
}

function quoteRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python's repr(): how a value looks inside a printed list or dict. */
export function pyRepr(value: unknown): string {
  if (value instanceof SafeString || typeof value === 'string') return quoteRepr(String(value));
  return pyStr(value, true);
}

/** Python's str(): how `{{ value }}` and `~` print a value. `undefined` prints nothing, as in Jinja. */
export function pyStr(value: unknown, nested = false): string {
  if (value === undefined) return nested ? 'None' : '';
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isDict(value)) return `{${Object.entries(value).map(([k, v]) => `${quoteRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

/** `a + b`: lists concatenate, strings join, numbers add (a float stays a float). */
export function add(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  const x = unwrap(a);
  const y = unwrap(b);
  if (typeof x === 'string' || typeof y === 'string') return pyStr(x) + pyStr(y);
  if (x instanceof Date || y instanceof Date || (typeof x === 'object' && x !== null && 'add' in x)) return (x as { add(o: unknown): unknown }).add(y);
  return number(a, b, (x as number) + (y as number));
}

export function sub(a: unknown, b: unknown): unknown {
  const x = unwrap(a);
  if (typeof x === 'object' && x !== null && 'sub' in x) return (x as { sub(o: unknown): unknown }).sub(unwrap(b));
  return number(a, b, (x as number) - (unwrap(b) as number));
}

/** `'-' * 3` repeats, as do lists; numbers multiply. */
export function mul(a: unknown, b: unknown): unknown {
  const x = unwrap(a);
  const y = unwrap(b);
  if (typeof x === 'string' && typeof y === 'number') return x.repeat(Math.max(0, y));
  if (typeof y === 'string' && typeof x === 'number') return y.repeat(Math.max(0, x));
  if (Array.isArray(x) && typeof y === 'number') return Array.from({ length: Math.max(0, y) }, () => x).flat();
  return number(a, b, (x as number) * (y as number));
}

/** `/` always gives a float in Python. */
export function div(a: unknown, b: unknown): unknown {
  const y = unwrap(b) as number;
  if (y === 0) throw new Error('division by zero');
  return toFloat((unwrap(a) as number) / y);
}

export function floorDiv(a: unknown, b: unknown): unknown {
  const y = unwrap(b) as number;
  if (y === 0) throw new Error('integer division or modulo by zero');
  return number(a, b, Math.floor((unwrap(a) as number) / y));
}

/** `'%s-%s' % (a, b)` formats a string; on numbers, Python's modulo (the sign of the divisor). */
export function mod(a: unknown, b: unknown): unknown {
  const x = unwrap(a);
  if (typeof x === 'string') return percentFormat(x, b);
  const y = unwrap(b) as number;
  if (y === 0) throw new Error('integer division or modulo by zero');
  const r = (x as number) % y;
  return number(a, b, r !== 0 && (r < 0) !== (y < 0) ? r + y : r);
}

function number(a: unknown, b: unknown, result: number): unknown {
  return a instanceof PyFloat || b instanceof PyFloat ? toFloat(result) : result;
}

export function toFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** `==` and `!=` compare by value, as Python does: `[1] == [1]`, and `'1' != 1`. */
export function equals(a: unknown, b: unknown): boolean {
  const x = unwrap(a);
  const y = unwrap(b);
  if (x === y) return true;
  if ((x === null || x === undefined) && (y === null || y === undefined)) return x === y || (x === undefined) === (y === undefined);
  if (typeof x === 'number' && typeof y === 'boolean') return x === Number(y);
  if (typeof y === 'number' && typeof x === 'boolean') return y === Number(x);
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => equals(v, y[i]));
  if (isDict(x) && isDict(y)) {
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => k in y && equals(x[k], y[k]));
  }
  if (x instanceof Date && y instanceof Date) return x.getTime() === y.getTime();
  // Relations and other objects: equal when they are of one kind and print the same.
  if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null && x.constructor === y.constructor) {
    const text = String(x);
    return text !== '[object Object]' && text === String(y);
  }
  return false;
}

/** `x in y`: substring, list member (by value), dict key. */
export function contains(container: unknown, item: unknown): boolean {
  const c = unwrap(container);
  const i = unwrap(item);
  if (typeof c === 'string') return c.includes(pyStr(i));
  if (Array.isArray(c)) return c.some((v) => equals(v, i));
  if (c instanceof Map || c instanceof Set) return c.has(i);
  if (c !== null && typeof c === 'object') return String(i) in c;
  throw new Error(`argument of type '${c === null || c === undefined ? 'NoneType' : typeof c}' is not iterable`);
}

/** Python's `%` string formatting: %s %r %d %i %f %.2f %x %%, with a tuple (list) or a dict. */
export function percentFormat(format: string, args: unknown): string {
  const values = Array.isArray(args) ? args : [args];
  let index = 0;
  return format.replace(/%(\(([^)]+)\))?([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdirfeEgGxXoc%])/g, (_m, _k, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, type: string) => {
    if (type === '%') return '%';
    const value = key !== undefined ? (args as Record<string, unknown>)[key] : values[index++];
    let text: string;
    const n = Number(unwrap(value));
    switch (type) {
      case 's': text = pyStr(value); break;
      case 'r': text = pyRepr(value); break;
      case 'd': case 'i': text = String(Math.trunc(n)); break;
      case 'f': text = n.toFixed(precision === undefined ? 6 : Number(precision)); break;
      case 'e': case 'E': text = n.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, 'e$10$2'); if (type === 'E') text = text.toUpperCase(); break;
      case 'g': case 'G': text = String(Number(n.toPrecision(precision === undefined ? 6 : Number(precision) || 1))); break;
      case 'x': text = Math.trunc(n).toString(16); break;
      case 'X': text = Math.trunc(n).toString(16).toUpperCase(); break;
      case 'o': text = Math.trunc(n).toString(8); break;
      default: text = String.fromCharCode(n);
    }
    if (flags.includes('+') && n >= 0 && 'difeEgG'.includes(type)) text = `+${text}`;
    const w = width === undefined ? 0 : Number(width);
    if (text.length < w) text = flags.includes('-') ? text.padEnd(w) : flags.includes('0') && type !== 's' ? text.padStart(w, '0') : text.padStart(w);
    return text;
  });
}

/** Python's json.dumps (with sort_keys when asked): `", "` and `": "` separators, floats as `1.0`. */
export function pyJson(value: unknown, options: { sortKeys?: boolean; indent?: number } = {}, depth = 0): string {
  const v = value instanceof SafeString ? String(value) : value;
  const pad = options.indent === undefined ? '' : `\n${' '.repeat(options.indent * (depth + 1))}`;
  const end = options.indent === undefined ? '' : `\n${' '.repeat(options.indent * depth)}`;
  const sep = options.indent === undefined ? ', ' : ',';
  if (v === undefined || v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${pad}${v.map((x) => pyJson(x, options, depth + 1)).join(sep + pad)}${end}]`;
  if (isDict(v)) {
    const keys = Object.keys(v);
    if (options.sortKeys) keys.sort();
    return keys.length === 0 ? '{}' : `{${pad}${keys.map((k) => `${JSON.stringify(k)}: ${pyJson(v[k], options, depth + 1)}`).join(sep + pad)}${end}}`;
  }
  return JSON.stringify(String(v));
}
