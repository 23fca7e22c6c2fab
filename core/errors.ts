/**
 * Every error a user can cause is a SmeltError: it carries where it happened (file, line,
 * column, node) and a hint. The CLI prints these without a stack trace and maps the kind to
 * an exit code; anything that is not a SmeltError is a bug and is printed in full.
 */
export interface ErrorLocation {
  /** Path relative to the project root, as the user would type it. */
  file?: string;
  line?: number;
  column?: number;
  /** Unique id or name of the node (model, seed, test ...) the error belongs to. */
  node?: string;
}

export type ErrorKind = 'config' | 'compile' | 'dependency' | 'database' | 'test' | 'usage' | 'runtime';

export class SmeltError extends Error {
  readonly kind: ErrorKind = 'runtime';
  readonly location: ErrorLocation;
  readonly hint?: string;

  constructor(message: string, location: ErrorLocation = {}, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.location = location;
    this.hint = hint;
  }

  /** "file:line:col" (as much as is known), for messages and editors. */
  get where(): string {
    const { file, line, column } = this.location;
    if (!file) return '';
    return [file, line, line !== undefined ? column : undefined].filter((p) => p !== undefined).join(':');
  }

  /** A copy carrying more location detail (fields already set win). */
  withLocation(extra: ErrorLocation): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this, { location: { ...extra, ...stripUndefined(this.location) } });
    copy.message = this.message;
    copy.stack = this.stack;
    return copy;
  }
}

/** project.yml, YAML properties, targets, vars. */
export class ConfigError extends SmeltError {
  override readonly kind = 'config';
}

/** Template syntax and render errors, undefined macros and vars. */
export class CompileError extends SmeltError {
  override readonly kind = 'compile';
}

/** Unknown refs and sources, cycles, duplicate names. */
export class DependencyError extends SmeltError {
  override readonly kind = 'dependency';
}

/**
 * A reference to a model, seed or snapshot that exists but failed to compile (a test of it):
 * that failure is reported already, so this one is shown only when nothing else is.
 */
export class FollowOnError extends DependencyError {}

/** Anything the database said no to, or could not be reached. */
export class DatabaseError extends SmeltError {
  override readonly kind = 'database';
}

/** A data test, unit test or model contract that could not be checked or was not met. */
export class TestError extends SmeltError {
  override readonly kind = 'test';
}

/** Bad flags or selectors. */
export class UsageError extends SmeltError {
  override readonly kind = 'usage';
}

/** Several errors found in one pass (compile collects them all instead of stopping at the first). */
export class SmeltErrors extends Error {
  readonly errors: SmeltError[];
  constructor(errors: SmeltError[]) {
    super(`${errors.length} error${errors.length === 1 ? '' : 's'} found`);
    this.name = 'SmeltErrors';
    this.errors = errors;
  }
}

/** Collects errors across a pass; throws them together at the end. */
export class ErrorCollector {
  readonly errors: SmeltError[] = [];
  readonly warnings: SmeltError[] = [];
  /** FollowOnErrors: the effects of errors above, kept out of the way of their causes. */
  private readonly followOn: SmeltError[] = [];

  add(error: SmeltError): void {
    if (error instanceof FollowOnError) this.followOn.push(error);
    else this.errors.push(error);
  }

  warn(warning: SmeltError): void {
    this.warnings.push(warning);
  }

  /** Runs fn; a SmeltError it throws is collected instead of escaping. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (error instanceof SmeltError) {
        this.add(error);
        return undefined;
      }
      if (error instanceof SmeltErrors) {
        error.errors.forEach((e) => this.add(e));
        return undefined;
      }
      throw error;
    }
  }

  throwIfAny(): void {
    const errors = this.errors.length > 0 ? this.errors : this.followOn;
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new SmeltErrors(errors);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
