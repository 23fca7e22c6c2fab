import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type SmeltError } from '../errors.js';

export type YamlPath = readonly (string | number)[];

/**
 * A parsed YAML file that still knows where every value came from, so a validation problem
 * can name the line the user has to fix.
 */
export class YamlFile {
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;

  private constructor(readonly path: string, doc: Document, lines: LineCounter) {
    this.doc = doc;
    this.lines = lines;
    this.value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  }

  /** Parses text; a syntax error becomes a ConfigError at the offending line. */
  static parse(path: string, text: string): YamlFile {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const [first] = doc.errors;
    if (first) {
      // linePos is only filled in with prettyErrors; the offset always is.
      const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
      const message = first.message.split('\n')[0] ?? first.message;
      throw new ConfigError(`Invalid YAML: ${message}`, { file: path, line: pos?.line, column: pos?.col }, 'Check indentation and quoting near this line.');
    }
    return new YamlFile(path, doc, lines);
  }

  /** The 1-based line of the value at `path`, or of its closest existing parent. */
  lineOf(path: YamlPath): number | undefined {
    for (let len = path.length; len >= 0; len--) {
      const node = this.doc.getIn(path.slice(0, len), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
      // A key whose value is missing: point at the key itself.
      const parent = this.doc.getIn(path.slice(0, len - 1), true) as { items?: { key: unknown; value: unknown }[] } | undefined;
      const key = path[len - 1];
      const pair = parent?.items?.find((item) => isNode(item.key) && (item.key as { value?: unknown }).value === key);
      if (pair && isNode(pair.key) && pair.key.range) return this.lines.linePos(pair.key.range[0]).line;
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
          warnings.push(new ConfigError(`Unknown key '${full.join('.')}' is ignored`, { file: this.path, line: this.lineOf(full), node }, 'Check the spelling against the documented keys.'));
        }
      }
      if (errors.length > 0) {
        return {
          value: undefined,
          warnings,
          errors: errors.map((issue) => {
            const full = [...path, ...(issue.path as (string | number)[])];
            const at = full.length > 0 ? `'${full.join('.')}': ` : '';
            return new ConfigError(`${at}${issue.message}`, { file: this.path, line: this.lineOf(full), node });
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
