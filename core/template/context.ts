import { CompileError } from '../errors.js';
import { installDbtGlobals } from './dbt-globals.js';
import { argument, splitArgs } from './keyword-args.js';
import type { TemplateEnvironment } from './environment.js';
import type { TemplateRelation } from './relation.js';

/** What a template may learn about the target: never its password. */
export interface TargetInfo {
  name: string;
  type: string;
  schema: string;
  database?: string;
  threads: number;
  [key: string]: unknown;
}

/** Values shared by every render in one invocation. */
export interface RunContext {
  projectName: string;
  target: TargetInfo;
  vars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  runStartedAt: Date;
  invocationId: string;
  fullRefresh: boolean;
  quote: (identifier: string) => string;
  log?: (message: string) => void;
}

/** What changes from one node's render to the next. */
export interface NodeHooks {
  nodeName: string;
  ref(name: string, packageName?: string): TemplateRelation;
  source(sourceName: string, tableName: string): TemplateRelation;
  /** Records config(...) keys; returns nothing visible. */
  setConfig(values: Record<string, unknown>): void;
  getConfig(key: string): unknown;
  this?: TemplateRelation;
  isIncremental(): boolean;
  model: Record<string, unknown>;
  /** Told of every macro and var the node uses, so state comparison can see changes to them. */
  recordMacro?(name: string): void;
  recordVar?(name: string, value: unknown): void;
  /**
   * Told of every input from outside the files the render read (a var, an environment
   * variable, a field of `target`, a flag), so a cached render can be checked against them.
   */
  recordInput?(input: RenderInput): void;
  /** Told when the render read something that differs on every invocation (run_started_at ...). */
  markVolatile?(): void;
}

/** One outside value a render read: `present` is false when the name was unset. */
export interface RenderInput {
  kind: 'var' | 'env' | 'target' | 'flag';
  name: string;
  present: boolean;
  value?: unknown;
}

/** What each kind of input is now, for checking a recorded one. */
export function currentInput(run: RunContext, kind: RenderInput['kind'], name: string): RenderInput {
  const table: Record<string, unknown> = kind === 'var' ? run.vars : kind === 'env' ? run.env : kind === 'target' ? run.target : { FULL_REFRESH: run.fullRefresh };
  const present = Object.prototype.hasOwnProperty.call(table, name) && table[name] !== undefined;
  return present ? { kind, name, present, value: table[name] } : { kind, name, present };
}

/**
 * Installs dbt's template context as environment globals. Functions delegate to `current`, which
 * the renderer swaps before each node, so macros see the node that called them, as in dbt.
 */
export class TemplateContext {
  private current: NodeHooks | undefined;

  constructor(private readonly environment: TemplateEnvironment, private readonly run: RunContext) {
    this.install();
    installDbtGlobals(environment, run);
    this.setVolatile('print', environment.globals.print);
    environment.onMacroCall = (name) => this.current?.recordMacro?.(name);
  }

  /** A global whose every read marks the current render volatile (see NodeHooks.markVolatile). */
  private setVolatile(name: string, value: unknown): void {
    Object.defineProperty(this.environment.globals, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        this.current?.markVolatile?.();
        return value;
      },
    });
  }

  /** Renders one node's SQL with `hooks` as its context. */
  renderNode(source: { path: string; text: string }, hooks: NodeHooks, node?: string): string {
    const previous = this.current;
    this.current = hooks;
    this.environment.setGlobal('this', hooks.this);
    this.environment.setGlobal('model', hooks.model);
    try {
      return this.environment.render(source, node ?? hooks.nodeName);
    } finally {
      this.current = previous;
      this.environment.setGlobal('this', previous?.this);
      this.environment.setGlobal('model', previous?.model);
    }
  }

  /** Renders a snippet outside any node (project.yml hooks, --inline). */
  renderText(source: { path: string; text: string }, hooks?: NodeHooks): string {
    if (hooks) return this.renderNode(source, hooks);
    return this.environment.render(source);
  }

  private hooks(what: string): NodeHooks {
    if (!this.current) throw new CompileError(`${what} can only be used while rendering a model`);
    return this.current;
  }

  private install(): void {
    const env = this.environment;
    const run = this.run;

    env.setGlobal('ref', (...args: unknown[]) => {
      const { positional, keywords } = splitArgs(args);
      if (positional.length === 0 || positional.length > 2) throw new CompileError('ref() takes a model name, or a package and a model name');
      const [first, second] = positional.map(String);
      void keywords;
      return second === undefined ? this.hooks('ref()').ref(first!) : this.hooks('ref()').ref(second, first);
    });
    env.setGlobal('source', (...args: unknown[]) => {
      const { positional } = splitArgs(args);
      if (positional.length !== 2) throw new CompileError("source() takes two arguments: source('source_name', 'table_name')");
      return this.hooks('source()').source(String(positional[0]), String(positional[1]));
    });

    const config = (...args: unknown[]): string => {
      const { positional, keywords } = splitArgs(args);
      const values = { ...(positional[0] as Record<string, unknown> | undefined), ...keywords };
      this.hooks('config()').setConfig(values);
      return '';
    };
    config.get = (...args: unknown[]) => {
      const split = splitArgs(args);
      const key = String(argument(split, 0, 'name'));
      const value = this.current?.getConfig(key);
      return value === undefined ? argument(split, 1, 'default') : value;
    };
    config.require = (key: string) => {
      const value = this.current?.getConfig(key);
      if (value === undefined) throw new CompileError(`Required config '${key}' is not set`);
      return value;
    };
    env.setGlobal('config', config);

    env.setGlobal('var', (...args: unknown[]) => {
      const split = splitArgs(args);
      const name = String(argument(split, 0, 'name'));
      this.current?.recordInput?.(currentInput(run, 'var', name));
      if (name in run.vars) {
        this.current?.recordVar?.(name, run.vars[name]);
        return run.vars[name];
      }
      if (split.positional.length > 1 || 'default' in split.keywords) {
        const fallback = argument(split, 1, 'default');
        this.current?.recordVar?.(name, fallback);
        return fallback;
      }
      throw new CompileError(`Required var '${name}' is not set`, {}, `Set it under vars: in project.yml, or pass --vars '{${name}: ...}'.`);
    });

    env.setGlobal('env_var', (...args: unknown[]) => {
      const split = splitArgs(args);
      const name = String(argument(split, 0, 'name'));
      const value = run.env[name];
      this.current?.recordInput?.(currentInput(run, 'env', name));
      if (value !== undefined) return value;
      if (split.positional.length > 1 || 'default' in split.keywords) return argument(split, 1, 'default');
      throw new CompileError(`Environment variable '${name}' is not set and has no default`, {}, `Export ${name}, or give a default: env_var('${name}', 'value').`);
    });

    env.setGlobal('is_incremental', () => this.current?.isIncremental() ?? false);
    // Reads of `target` and `flags` are recorded field by field: a cached render stays valid
    // until a field it read changes (not on every change of --threads).
    const recorded = (kind: 'target' | 'flag', values: Record<string, unknown>): Record<string, unknown> => new Proxy(values, {
      get: (object, key, receiver) => {
        if (typeof key === 'string') this.current?.recordInput?.(currentInput(run, kind, key));
        return Reflect.get(object, key, receiver) as unknown;
      },
    });
    env.setGlobal('target', recorded('target', run.target));
    env.setGlobal('project_name', run.projectName);
    env.setGlobal('flags', recorded('flag', { FULL_REFRESH: run.fullRefresh }));
    // Values that differ on every invocation, and side effects of rendering: a render that
    // touches one is never served from the render cache.
    const volatile = (name: string, value: unknown): void => this.setVolatile(name, value);
    volatile('invocation_id', run.invocationId);
    volatile('run_started_at', new TemplateTimestamp(run.runStartedAt));
    volatile('log', (message: unknown) => {
      run.log?.(String(message));
      return '';
    });
    volatile('exceptions', {
      raise_compiler_error: (message: unknown) => {
        throw new CompileError(String(message));
      },
      warn: (message: unknown) => {
        run.log?.(`warning: ${String(message)}`);
        return '';
      },
    });
    env.setGlobal('adapter', {
      type: () => run.target.type,
      quote: (identifier: unknown) => run.quote(String(identifier)),
      dispatch: (...args: unknown[]) => {
        const split = splitArgs(args);
        const name = String(argument(split, 0, 'macro_name'));
        const globals = env.globals;
        for (const candidate of [`${run.target.type}__${name}`, `default__${name}`, name]) {
          if (typeof globals[candidate] === 'function') return globals[candidate];
        }
        throw new CompileError(`adapter.dispatch: no macro '${run.target.type}__${name}' or 'default__${name}'`);
      },
    });
  }
}

/** dbt's `run_started_at` is a datetime: renders as ISO text and offers strftime and isoformat. */
export class TemplateTimestamp {
  constructor(private readonly date: Date) {}
  toString(): string {
    return this.date.toISOString().replace('T', ' ').replace('Z', '+00:00');
  }
  isoformat(): string {
    return this.date.toISOString().replace('Z', '+00:00');
  }
  timestamp(): number {
    return this.date.getTime() / 1000;
  }
  strftime(format: string): string {
    const d = this.date;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const parts: Record<string, string> = {
      Y: String(d.getUTCFullYear()), m: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()),
      H: pad(d.getUTCHours()), M: pad(d.getUTCMinutes()), S: pad(d.getUTCSeconds()), f: pad(d.getUTCMilliseconds() * 1000, 6), '%': '%',
    };
    return format.replace(/%([YmdHMSf%])/g, (_m, c: string) => parts[c] ?? '');
  }
}
