/**
 * nunjucks passes `f(a, key=value)` as `f(a, {key: value, __keywords: true})`. These helpers
 * split that back into positional and keyword arguments, as Jinja would.
 */
export interface SplitArgs {
  positional: unknown[];
  keywords: Record<string, unknown>;
}

export function splitArgs(args: unknown[]): SplitArgs {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && (last as Record<string, unknown>).__keywords === true) {
    const { __keywords: _ignored, ...keywords } = last as Record<string, unknown>;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** Positional argument i, or keyword `name`, or the default. */
export function argument<T>(split: SplitArgs, index: number, name: string, fallback?: T): T | undefined {
  if (split.positional.length > index && split.positional[index] !== undefined) return split.positional[index] as T;
  if (name in split.keywords) return split.keywords[name] as T;
  return fallback;
}
