import { CompileError, SmeltError, type ErrorLocation } from '../errors.js';
import type { NodeHooks, TemplateContext } from '../template/context.js';
import type { TemplateEnvironment } from '../template/environment.js';

/**
 * Test arguments are YAML, but may hold Jinja as in dbt: `to: ref('dim_customers')`,
 * `values: "{{ var('statuses') }}"` (a list, not its text), `where: "day > '{{ var('start') }}'"`.
 * This evaluates them with the test's context (its refs become its dependencies).
 */
export class TemplateValues {
  private captured: unknown;

  constructor(environment: TemplateEnvironment, private readonly context: TemplateContext) {
    environment.setGlobal('__smelt_capture', (value: unknown) => {
      this.captured = value;
      return '';
    });
  }

  /** A value as written in YAML, with its templates evaluated. */
  value(value: unknown, hooks: NodeHooks, at: ErrorLocation): unknown {
    if (typeof value === 'string') {
      const text = value.trim();
      if (/^(ref|source)\s*\(.*\)$/s.test(text)) return this.expression(text, hooks, at);
      const single = /^\{\{(.*)\}\}$/s.exec(text);
      if (single && !single[1]!.includes('}}')) return this.expression(single[1]!, hooks, at);
      if (value.includes('{{') || value.includes('{%')) return this.render(value, hooks, at);
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => this.value(item, hooks, at));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, hooks, at)]));
    }
    return value;
  }

  /** Evaluates one Jinja expression and returns its value (a relation, a list ...), not its text. */
  expression(expression: string, hooks: NodeHooks, at: ErrorLocation): unknown {
    this.captured = undefined;
    this.render(`{{ __smelt_capture(${expression}) }}`, hooks, at);
    return this.captured;
  }

  render(text: string, hooks: NodeHooks, at: ErrorLocation): string {
    try {
      return this.context.renderNode({ path: at.file ?? '<test>', text }, hooks, at.node);
    } catch (error) {
      throw relocate(error, at);
    }
  }
}

/** The error, pointing at `at` (the YAML line of the test) instead of a line of a one-line template. */
export function relocate(error: unknown, at: ErrorLocation): SmeltError {
  if (error instanceof SmeltError) {
    const copy = Object.create(Object.getPrototypeOf(error)) as SmeltError;
    Object.assign(copy, error, { location: { ...at } });
    copy.message = error.message;
    return copy;
  }
  return new CompileError(error instanceof Error ? error.message : String(error), at);
}
