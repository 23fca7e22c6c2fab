import { CompileError, SmeltError } from '../errors.js';

/**
 * nunjucks reports template problems as one string: "(path) [Line 3, Column 5]\n  Error: ...",
 * and as `lineno`/`colno` on the error. Parse errors count from 1, render errors from 0 (and the
 * string leaves out a position on the first line, where lineno is 0); this turns both into a
 * CompileError with a 1-based line and column.
 */
export function toCompileError(error: unknown, file: string, phase: 'parse' | 'render', node?: string): SmeltError {
  if (error instanceof SmeltError) return error.withLocation({ file, node });
  const raw = error instanceof Error ? error.message : String(error);
  const { line, column } = position(error, raw, phase);
  const inner = (error as { cause?: unknown }).cause;
  if (inner instanceof SmeltError) return inner.withLocation({ file, line, column, node });
  const message = raw
    .replace(/^\([^)]*\)\s*/, '')
    .replace(/\[Line \d+, Column \d+\]\s*/, '')
    .replace(/^Template render error:\s*/, '')
    .replace(/^\s*Error:\s*/, '')
    .trim();
  return new CompileError(describe(message), { file, line, column, node }, hintFor(message));
}

function describe(message: string): string {
  const undefinedCall = /Unable to call `([^`]+)`, which is undefined or falsey/.exec(message);
  const packageCall = undefinedCall && /^([A-Za-z_]\w*)\["([A-Za-z_]\w*)"\]$/.exec(undefinedCall[1]!);
  if (packageCall && packageCall[1] !== 'dbt' && packageCall[1] !== 'adapter') {
    return `'${packageCall[1]}.${packageCall[2]}' is undefined: smelt installs no packages (dbt deps), so '${packageCall[1]}' is not available`;
  }
  if (undefinedCall) return `'${undefinedCall[1]}' is undefined: no macro or function has that name`;
  if (message.startsWith('unexpected token') || message.startsWith('expected') || message.startsWith('unknown block tag')) {
    return `Template syntax error: ${message}`;
  }
  return message;
}

function hintFor(message: string): string | undefined {
  const packageCall = /Unable to call `([A-Za-z_]\w*)\["([A-Za-z_]\w*)"\]`/.exec(message);
  if (packageCall && packageCall[1] !== 'dbt' && packageCall[1] !== 'adapter') return `Copy the macro '${packageCall[2]}' into a file under macros/ and call it as ${packageCall[2]}(...).`;
  if (message.includes('Unable to call')) return 'Define it in a file under macros/ with {% macro name(...) %}, or check the spelling.';
  if (message.startsWith('unknown block tag')) return 'Check the tag name and that every {% block %} is closed.';
  if (message.startsWith('unexpected token') || message.startsWith('expected')) return 'Check that every {{ }} and {% %} is balanced.';
  return undefined;
}

function position(error: unknown, raw: string, phase: 'parse' | 'render'): { line: number | undefined; column: number | undefined } {
  const { lineno, colno } = error as { lineno?: unknown; colno?: unknown };
  const match = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  let line = typeof lineno === 'number' ? lineno : match ? Number(match[1]) : undefined;
  let column = typeof colno === 'number' ? colno : match ? Number(match[2]) : undefined;
  if (phase === 'render') {
    line = line === undefined ? 1 : line + 1;
    if (column !== undefined) column += 1;
  }
  return { line, column };
}
