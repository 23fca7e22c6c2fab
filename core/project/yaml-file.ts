import { CORE_SCHEMA, load as loadPlainYaml } from 'js-yaml';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type SmeltError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

export type YamlPath = readonly (string | number)[];

/**
 * A parsed YAML file that still knows where every value came from, so a validation problem
 * can name the line the user has to fix.
 */
export class YamlFile {
  readonly value: unknown;
  private parsed: { doc: Document; lines: LineCounter } | undefined;

  private constructor(readonly path: string, private readonly text: string, value: unknown, parsed?: { doc: Document; lines: LineCounter }) {
    this.parsed = parsed;
    this.value = value;
  }

  /** Parses text; a syntax error becomes a ConfigError at the offending line. */
  static parse(path: string, text: string): YamlFile {
    const plain = plainValue(text);
    if (plain !== NOT_PLAIN) return new YamlFile(path, text, plain ?? {});
    const parsed = parseWithLines(path, text);
    let value: unknown;
    try {
      value = parsed.doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      // An alias without its anchor, or too many alias expansions.
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ConfigError(`Invalid YAML: ${message}`, { file: path }, 'Define each anchor (&name) before the aliases (*name) that use it.');
    }
    return new YamlFile(path, text, value ?? {}, parsed);
  }

  /**
   * A file whose value is known already (the YAML cache: the same text parsed before without
   * errors). Its syntax tree, needed only to name lines, is parsed on the first lineOf().
   */
  static fromValue(path: string, text: string, value: unknown): YamlFile {
    return new YamlFile(path, text, value);
  }

  /** The text's own syntax tree with line positions, parsed when first needed. */
  private get document(): { doc: Document; lines: LineCounter } {
    this.parsed ??= parseWithLines(this.path, this.text);
    return this.parsed;
  }

  /** The 1-based line of the value at `path`, or of its closest existing parent. */
  lineOf(path: YamlPath): number | undefined {
    const { doc, lines } = this.document;
    for (let len = path.length; len >= 0; len--) {
      const node = doc.getIn(path.slice(0, len), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
      // A key whose value is missing: point at the key itself.
      const parent = doc.getIn(path.slice(0, len - 1), true) as { items?: { key: unknown; value: unknown }[] } | undefined;
      const key = path[len - 1];
      const pair = parent?.items?.find((item) => isNode(item.key) && (item.key as { value?: unknown }).value === key);
      if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
    }
    return undefined;
  }

  /**
   * Validates the whole file (or the value at `path`) against a strict zod schema. Unknown keys
   * become warnings and are dropped; every other problem is returned as an error with its line.
   */
  validate<T extends z.ZodType>(schema: T, path: YamlPath = [], node?: string): Validation<z.output<T>> {
    let value = structuredClone(path.length === 0 ? this.value : getIn(this.value, path));
    const warnings: SmeltError[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = schema.safeParse(value);
      if (result.success) return { value: result.data, errors: [], warnings };
      const unknown = result.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
      const errors = result.error.issues.filter((issue) => issue.code !== 'unrecognized_keys');
      for (const issue of unknown) {
        for (const key of (issue as { keys: string[] }).keys) {
          const full = [...path, ...(issue.path as (string | number)[]), key];
          const hint = didYouMean(key, knownKeys(schema, issue.path as (string | number)[])) ?? 'Check the spelling against the documented keys.';
          warnings.push(new ConfigError(`Unknown key '${full.join('.')}' is ignored`, { file: this.path, line: this.lineOf(full), node }, hint));
        }
      }
      if (errors.length > 0) {
        return {
          value: undefined,
          warnings,
          errors: errors.map((issue) => {
            const full = [...path, ...(issue.path as (string | number)[])];
            const at = full.length > 0 ? `'${full.join('.')}': ` : '';
            const { message, hint } = describeIssue(issue);
            return new ConfigError(`${at}${message}`, { file: this.path, line: this.lineOf(full), node }, hint);
          }),
        };
      }
      // Only unknown keys: drop them and validate again.
      value = removeKeys(value, unknown as unknown as { path: (string | number)[]; keys: string[] }[]);
    }
    return { value: undefined, warnings, errors: [new ConfigError('Could not validate file', { file: this.path })] };
  }
}

export interface Validation<T> {
  value: T | undefined;
  errors: SmeltError[];
  warnings: SmeltError[];
}

/** The parts of a zod schema's definition that knownKeys walks: zod offers no public walker. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

/** The keys an object schema allows at `path` (through lists, optionals, unions), for "did you mean". */
function knownKeys(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let current: z.ZodType[] = [schema];
  for (const part of [...path, undefined]) {
    const next: z.ZodType[] = [];
    const visit = (type: z.ZodType): void => {
      const def = (type as unknown as { _zod: { def: SchemaDef } })._zod.def;
      if (def.innerType) visit(def.innerType);
      else if (def.in) visit(def.in);
      else if (def.options) def.options.forEach(visit);
      else if (part === undefined) next.push(type);
      else if (def.shape && typeof part === 'string' && def.shape[part]) next.push(def.shape[part]);
      else if (def.element && typeof part === 'number') next.push(def.element);
      else if (def.valueType) next.push(def.valueType);
    };
    current.forEach(visit);
    current = next;
  }
  return current.flatMap((type) => Object.keys((type as unknown as { _zod: { def: SchemaDef } })._zod.def.shape ?? {}));
}

/** How each zod type is written in YAML, for hints. */
const YAML_SPELLING: Record<string, string> = {
  string: 'text (quote it if it looks like a number, a date or yes/no)',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list: [a, b] or one "- item" per line',
  record: 'a mapping: "key: value" lines, indented below this key',
  object: 'a mapping: "key: value" lines, indented below this key',
};

/**
 * zod's message, made specific where it is vague ("Invalid input" for a value that may be text or
 * a list), and a hint that says what to write instead, in YAML terms.
 */
function describeIssue(issue: z.core.$ZodIssue): { message: string; hint?: string } {
  const expected = expectedTypes(issue);
  if (expected.length === 0) return { message: issue.message };
  const received = /received (\w+)/.exec(issue.message)?.[1] ?? /received (\w+)/.exec(JSON.stringify(issue))?.[1];
  const spelled = expected.map((type) => YAML_SPELLING[type]).filter((text): text is string => !!text);
  return {
    message: `expected ${expected.join(' or ')}${received ? `, got ${received}` : ''}`,
    ...(spelled.length > 0 ? { hint: `Write ${spelled.join(', or ')}.` } : {}),
  };
}

/** The types a value could have had: one for a type error, several for a union of plain types. */
function expectedTypes(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'invalid_type') return [issue.expected];
  if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0) return [];
  const alternatives = issue.errors.map((errors) => (errors.length === 1 && errors[0]!.code === 'invalid_type' && errors[0]!.path.length === 0 ? errors[0]!.expected : undefined));
  return alternatives.every((type) => type !== undefined) ? [...new Set(alternatives as string[])] : [];
}

function getIn(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function removeKeys(value: unknown, issues: { path: (string | number)[]; keys: string[] }[]): unknown {
  for (const issue of issues) {
    const target = getIn(value, issue.path) as Record<string, unknown> | undefined;
    if (target && typeof target === 'object') for (const key of issue.keys) delete target[key];
  }
  return value;
}

const NOT_PLAIN = Symbol('not plain YAML');

/**
 * The value of a file, read by js-yaml (about three times faster than the `yaml` package, which
 * stays the reference: it keeps positions for error lines and reports syntax errors). Both read
 * YAML 1.2's core schema and give the same value for everything they both accept; anything
 * either might read differently goes to `yaml`: a js-yaml error (bad syntax, duplicate keys,
 * tags beyond the core schema, complex keys), directives (`%YAML 1.1` changes the schema),
 * merge keys, null keys, floats too large for a double, and anchors and aliases (js-yaml shares
 * an aliased value where `yaml` counts expansions against a limit).
 */
function plainValue(text: string): unknown {
  if (/^%|<<|^[ \t-]*(?:null|Null|NULL|~)?[ \t]*:|[{,][ \t]*(?:null|Null|NULL|~)[ \t]*:|\d[eE]\+?\d{3}|(?:^|[\s:[{,-])[&*][^\s,[\]{}]/m.test(text)) return NOT_PLAIN;
  try {
    return loadPlainYaml(text, { schema: CORE_SCHEMA });
  } catch {
    return NOT_PLAIN;
  }
}

function parseWithLines(path: string, text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    // linePos is only filled in with prettyErrors; the offset always is.
    const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    const message = first.message.split('\n')[0] ?? first.message;
    throw new ConfigError(`Invalid YAML: ${message}`, { file: path, line: pos?.line, column: pos?.col }, 'Check indentation and quoting near this line.');
  }
  return { doc, lines };
}
