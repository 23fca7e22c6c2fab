import nunjucks from 'nunjucks';
import { CompileError, type ErrorCollector } from '../errors.js';
import type { MacroEntry } from '../manifest/types.js';
import { sha256 } from '../util/hash.js';
import { installJinjaFilters } from './jinja-filters.js';
import { installJinjaSyntax } from './jinja-syntax.js';
import { installPythonStringMethods } from './python-strings.js';
import { toCompileError } from './template-error.js';

nunjucks.installJinjaCompat();
installPythonStringMethods();
installJinjaSyntax();

interface NunjucksInternals {
  compiler: { compile(src: string, asyncFilters: unknown[], extensions: unknown[], name: string, opts: object): string };
}

/** Thrown by `{{ return(x) }}` inside a macro and caught by the macro's wrapper, as in dbt. */
class MacroReturn {
  constructor(readonly value: unknown) {}
}

/** Jinja's `{% do expr %}`: evaluates an expression for its side effect, prints nothing. */
class DoExtension {
  tags = ['do'];
  parse(parser: any, nodes: any): unknown {
    const token = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(token.value);
    return new nodes.CallExtension(this, 'run', new nodes.NodeList(token.lineno, token.colno, [expr]));
  }
  run(): string {
    return '';
  }
}

export interface SourceText {
  path: string;
  text: string;
}

/**
 * One nunjucks environment per project. Macros and the dbt-style context (ref, config, this ...)
 * live in the environment's globals, which nunjucks looks up at call time: a macro defined in
 * one file can call another from any file, and sees the context of the model being rendered.
 */
export class TemplateEnvironment {
  readonly env: nunjucks.Environment;
  readonly macros = new Map<string, MacroEntry>();
  private readonly macroSources = new Map<string, string>();
  private readonly cache = new Map<string, nunjucks.Template>();
  /** Called with a macro's name each time one runs (the context records it on the node). */
  onMacroCall: (name: string) => void = () => undefined;
  /** The macros running now, innermost last (for errors raised inside them). */
  private readonly macroStack: string[] = [];

  /** The innermost macro running now, if any. */
  currentMacro(): MacroEntry | undefined {
    const name = this.macroStack[this.macroStack.length - 1];
    return name === undefined ? undefined : this.macros.get(name);
  }

  constructor(projectName: string) {
    // dev: keep nunjucks' own error (and its `cause`, our SmeltError) instead of a bare copy of its text.
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, dev: true });
    this.env.addExtension('DoExtension', new DoExtension());
    installJinjaFilters(this.env);
    this.env.addGlobal('return', (value: unknown) => {
      throw new MacroReturn(value);
    });
    this.projectName = projectName;
  }

  private readonly projectName: string;

  /**
   * Compiles a template once per (path, text); syntax errors become CompileErrors at the right
   * line. The JavaScript nunjucks generates is kept in `compiledSources` by a hash of the text,
   * so a later process (see template-cache.ts) can skip nunjucks' lexer, parser and code
   * generator for every file that did not change.
   */
  compile(source: SourceText, node?: string): nunjucks.Template {
    const key = `${source.path}\u0000${source.text}`;
    let template = this.cache.get(key);
    if (!template) {
      const text = preprocess(source.text);
      const hash = sha256(text);
      let code = this.compiledSources.get(hash);
      try {
        if (code === undefined && !this.factories.has(hash) && this.loadCompiledSources) {
          const load = this.loadCompiledSources;
          this.loadCompiledSources = undefined;
          load();
          code = this.compiledSources.get(hash);
        }
        const factory = this.factories.get(hash);
        let props: unknown;
        if (factory) {
          props = factory();
        } else {
          if (code === undefined) {
            code = this.generate(text, source.path);
            this.generated++;
          }
          // nunjucks' own way of loading a compiled template.
          props = new Function(code)();
        }
        template = new nunjucks.Template({ type: 'code', obj: props } as never, this.env, source.path, true);
      } catch (error) {
        const located = toCompileError(error, source.path, 'parse', node);
        // nunjucks gives no position when the file ends inside a tag: that is the last line.
        if (located.location.line !== undefined) throw located;
        throw located.withLocation({ line: Math.max(1, source.text.trimEnd().split('\n').length) });
      }
      if (code !== undefined) this.compiledSources.set(hash, code);
      this.usedSources.add(hash);
      this.cache.set(key, template);
    }
    return template;
  }

  /**
   * Called once, on the first template that is neither compiled nor primed: loads the cache of
   * generated code only when a render needs it (a warm compile reuses renders and needs none).
   */
  loadCompiledSources: (() => void) | undefined;

  /** nunjucks' JavaScript for a preprocessed template text (throws on a syntax error). */
  private generate(text: string, path: string): string {
    return (nunjucks as unknown as NunjucksInternals).compiler.compile(text, [], this.extensionNames(), path, { throwOnUndefined: false });
  }

  /**
   * The generated code of a template, keyed as `compiledSources` keys it, without loading it
   * (template-precompile.ts runs this in a worker thread); undefined when it does not compile,
   * which compile() then reports with its line.
   */
  generateCode(source: SourceText): { hash: string; code: string } | undefined {
    const text = preprocess(source.text);
    try {
      return { hash: sha256(text), code: this.generate(text, source.path) };
    } catch {
      return undefined;
    }
  }

  /** The key of a template's generated code in `compiledSources`. */
  templateHash(text: string): string {
    return sha256(preprocess(text));
  }

  /** Templates this process ran through nunjucks' code generator (not primed, not cached). */
  generated = 0;

  /** Generated JavaScript per template-text hash: filled by compile(), primed from a cache file. */
  readonly compiledSources = new Map<string, string>();
  /** The hashes this process used (the cache file keeps only these). */
  readonly usedSources = new Set<string>();
  /** Cached templates loaded as one script: a factory per hash (see primeCompiledSources). */
  private readonly factories = new Map<string, () => unknown>();

  /**
   * Loads cached compiled templates. They are evaluated as a single script, one function per
   * template: V8 then compiles each lazily on first use, far cheaper than a `new Function` each.
   */
  primeCompiledSources(sources: Record<string, string>): void {
    const hashes = Object.keys(sources);
    if (hashes.length === 0) return;
    const body = `return [${hashes.map((h) => `function () {\n${sources[h]}\n}`).join(',\n')}];`;
    const functions = new Function(body)() as (() => unknown)[];
    hashes.forEach((hash, i) => {
      this.compiledSources.set(hash, sources[hash]!);
      this.factories.set(hash, functions[i]!);
    });
  }

  private extensionNames(): unknown[] {
    return (this.env as unknown as { extensionsList: unknown[] }).extensionsList;
  }

  /** Renders with the current globals. Synchronous: the caller sets per-node globals first. */
  render(source: SourceText, node?: string, context: Record<string, unknown> = {}): string {
    const template = this.compile(source, node);
    try {
      return template.render(context);
    } catch (error) {
      throw toCompileError(error, source.path, 'render', node);
    }
  }

  /** The text of a macro's definition (for state checksums). */
  macroSource(name: string): string | undefined {
    return this.macroSources.get(name);
  }

  /** The live globals (macros and context functions). */
  get globals(): Record<string, unknown> {
    return (this.env as unknown as { globals: Record<string, unknown> }).globals;
  }

  setGlobal(name: string, value: unknown): void {
    this.env.addGlobal(name, value);
  }

  /**
   * Loads every macro file: each `{% macro %}` becomes a global function. Problems are collected;
   * a macro name defined twice is an error naming both files.
   */
  loadMacros(files: readonly SourceText[], errors: ErrorCollector): void {
    for (const file of files) {
      errors.attempt(() => {
        const template = this.compile(file);
        let exported: Record<string, unknown> = {};
        (template as unknown as { getExported(ctx: object, cb: (err: unknown, exp: Record<string, unknown>) => void): void }).getExported({}, (err, exp) => {
          if (err) throw toCompileError(err, file.path, 'render');
          exported = exp;
        });
        for (const [name, macro] of Object.entries(exported)) {
          if (typeof macro !== 'function') continue;
          const line = lineOfMacro(file.text, name);
          const existing = this.macros.get(name);
          if (existing) {
            throw new CompileError(`Macro '${name}' is defined twice: in ${existing.path}:${existing.line} and here`, { file: file.path, line }, 'Rename or remove one of them.');
          }
          this.macroSources.set(name, macroText(file.text, name) ?? file.text);
          this.macros.set(name, {
            uniqueId: `macro.${this.projectName}.${name}`,
            name,
            path: file.path,
            line,
            arguments: macroArguments(file.text, name),
            description: '',
          });
          this.env.addGlobal(name, wrapMacro(macro as (...args: unknown[]) => unknown, () => this.onMacroCall(name), this.macroStack, name));
        }
      });
    }
  }
}

/** A macro call returns its `return(...)` value when it has one, else its rendered text. */
function wrapMacro(macro: (...args: unknown[]) => unknown, onCall: () => void, stack: string[], name: string): (...args: unknown[]) => unknown {
  return function (this: unknown, ...args: unknown[]) {
    onCall();
    stack.push(name);
    try {
      return macro.apply(this, args);
    } catch (error) {
      if (error instanceof MacroReturn) return error.value;
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof MacroReturn) return cause.value;
      throw error;
    } finally {
      stack.pop();
    }
  };
}

/**
 * dbt spells generic tests as `{% test name(...) %}`; they are macros named `test_name`. The
 * rewrite keeps every character on its line so error positions stay true.
 */
function preprocess(text: string): string {
  if (!text.includes('test')) return text;
  return text
    .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, (_m, dash: string, name: string) => `{%${dash} macro test_${name}(`)
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, (_m, a: string, b: string) => `{%${a} endmacro ${b}%}`);
}

/** From `{% macro name(` to its `{% endmacro %}` (macros do not nest). */
function macroText(text: string, name: string): string | undefined {
  const start = text.search(new RegExp(`\\{%-?\\s*(macro|test)\\s+(test_)?${name.replace(/^test_/, '')}\\s*\\(`));
  if (start < 0) return undefined;
  const end = text.slice(start).search(/\{%-?\s*end(macro|test)\s*-?%\}/);
  return end < 0 ? text.slice(start) : text.slice(start, start + end);
}

function lineOfMacro(text: string, name: string): number {
  const re = new RegExp(`\\{%-?\\s*(macro|test)\\s+(test_)?${name.replace(/^test_/, '')}\\s*\\(`);
  const index = text.search(re);
  return index < 0 ? 1 : text.slice(0, index).split('\n').length;
}

function macroArguments(text: string, name: string): string[] {
  const re = new RegExp(`\\{%-?\\s*(?:macro|test)\\s+(?:test_)?${name.replace(/^test_/, '')}\\s*\\(([^)]*)\\)`);
  const match = re.exec(text);
  if (!match?.[1]) return [];
  return match[1].split(',').map((a) => a.split('=')[0]!.trim()).filter(Boolean);
}

