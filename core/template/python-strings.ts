import nunjucks from 'nunjucks';

/**
 * Jinja templates call Python's string methods (`name.startswith('x')`, `col.upper()`); nunjucks
 * only knows JavaScript's. These are the ones dbt projects use, with Python's behaviour.
 */
const STRING_METHODS: Record<string, (this: string, ...args: any[]) => unknown> = {
  startswith(prefix: string | string[]) {
    return (Array.isArray(prefix) ? prefix : [prefix]).some((p) => this.startsWith(p));
  },
  endswith(suffix: string | string[]) {
    return (Array.isArray(suffix) ? suffix : [suffix]).some((s) => this.endsWith(s));
  },
  upper() {
    return this.toUpperCase();
  },
  lower() {
    return this.toLowerCase();
  },
  strip(chars?: string) {
    return chars ? trimChars(this, chars, true, true) : this.trim();
  },
  lstrip(chars?: string) {
    return chars ? trimChars(this, chars, true, false) : this.trimStart();
  },
  rstrip(chars?: string) {
    return chars ? trimChars(this, chars, false, true) : this.trimEnd();
  },
  split(separator?: string, maxsplit = -1) {
    const parts = separator === undefined || separator === null ? this.trim().split(/\s+/).filter(Boolean) : this.split(separator);
    if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
    return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator ?? ' ')];
  },
  replace(old: string, replacement: string) {
    return this.split(old).join(replacement);
  },
  title() {
    return this.toLowerCase().replace(/(^|[^a-z])([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase());
  },
  capitalize() {
    return this.charAt(0).toUpperCase() + this.slice(1).toLowerCase();
  },
  find(sub: string) {
    return this.indexOf(sub);
  },
  count(sub: string) {
    return sub ? this.split(sub).length - 1 : this.length + 1;
  },
  isdigit() {
    return /^[0-9]+$/.test(this);
  },
  isalpha() {
    return /^[A-Za-z]+$/.test(this);
  },
  join(items: unknown[]) {
    return items.map(String).join(this);
  },
  format(...args: unknown[]) {
    let i = 0;
    return this.replace(/\{(\d*)\}/g, (_m, n: string) => String(args[n === '' ? i++ : Number(n)]));
  },
};

function trimChars(text: string, chars: string, start: boolean, end: boolean): string {
  let a = 0;
  let b = text.length;
  while (start && a < b && chars.includes(text[a]!)) a++;
  while (end && b > a && chars.includes(text[b - 1]!)) b--;
  return text.slice(a, b);
}

let installed = false;

/** Patches nunjucks' member lookup once (after installJinjaCompat, which patches it too). */
export function installPythonStringMethods(): void {
  if (installed) return;
  installed = true;
  const runtime = (nunjucks as unknown as { runtime: { memberLookup: (...args: unknown[]) => unknown } }).runtime;
  const original = runtime.memberLookup;
  runtime.memberLookup = function memberLookup(this: unknown, obj: unknown, name: unknown, ...rest: unknown[]) {
    if (typeof obj === 'string' && typeof name === 'string' && Object.prototype.hasOwnProperty.call(STRING_METHODS, name) && rest.length < 2) {
      return STRING_METHODS[name]!.bind(obj);
    }
    return original.call(this, obj, name, ...rest);
  };
}
