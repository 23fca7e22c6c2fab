import { describe, expect, it } from 'vitest';
import { CompileError, DependencyError, ErrorCollector, SmeltError } from '../errors.js';
import { TemplateEnvironment } from './environment.js';
import { toCompileError } from './template-error.js';

/** Renders `text` as models/m.sql in a fresh environment and returns the error it raises. */
function renderError(text: string, globals: Record<string, unknown> = {}, macros: { path: string; text: string }[] = []): SmeltError {
  const environment = new TemplateEnvironment('shop');
  const errors = new ErrorCollector();
  environment.loadMacros(macros, errors);
  expect(errors.errors).toEqual([]);
  for (const [name, value] of Object.entries(globals)) environment.setGlobal(name, value);
  try {
    environment.render({ path: 'models/m.sql', text }, 'model.shop.m');
  } catch (error) {
    expect(error).toBeInstanceOf(SmeltError);
    return error as SmeltError;
  }
  throw new Error('expected a render error');
}

describe('template errors', () => {
  it('place syntax errors at their 1-based line and column, the first line included', () => {
    expect(renderError('{% if %}').location).toEqual({ file: 'models/m.sql', line: 1, column: 7, node: 'model.shop.m' });
    expect(renderError('select 1\nfrom x\n  {% if %}').location).toMatchObject({ line: 3, column: 9 });
    expect(renderError('select {{ 1 + }}').message).toMatch(/^Template syntax error: unexpected token/);
  });

  it('place render errors at their 1-based line, the first line included', () => {
    expect(renderError('select {{ nope() }}').location).toMatchObject({ file: 'models/m.sql', line: 1, node: 'model.shop.m' });
    expect(renderError('select 1\n\n\nfrom {{ nope() }}').location.line).toBe(4);
    expect(renderError('{% if true %}\n  {{ nope() }}\n{% endif %}').location.line).toBe(2);
  });

  it('name an undefined macro and hint at macros/', () => {
    const error = renderError('select\n  {{ cents(amount) }}');
    expect(error).toBeInstanceOf(CompileError);
    expect(error.message).toBe("'cents' is undefined: no macro or function has that name");
    expect(error.hint).toContain('macros/');
  });

  it("keep a SmeltError thrown by a context function, with its own message and hint, at the caller's line", () => {
    const ref = () => {
      throw new DependencyError("ref('x'): no model or seed named 'x'", {}, "Did you mean 'y'?");
    };
    const error = renderError('select *\nfrom {{ ref("x") }}', { ref });
    expect(error).toBeInstanceOf(DependencyError);
    expect(error.message).toBe("ref('x'): no model or seed named 'x'");
    expect(error.hint).toBe("Did you mean 'y'?");
    expect(error.location).toMatchObject({ file: 'models/m.sql', line: 2, node: 'model.shop.m' });
  });

  it("place an error raised inside a macro at the model's call", () => {
    const macros = [{ path: 'macros/m.sql', text: '{% macro outer() %}\n{{ inner() }}\n{% endmacro %}\n{% macro inner() %}\n{{ missing_fn() }}\n{% endmacro %}' }];
    const error = renderError('select 1\n-- two\n{{ outer() }}', {}, macros);
    expect(error.location).toMatchObject({ file: 'models/m.sql', line: 3 });
    expect(error.message).toContain("'missing_fn' is undefined");
  });

  it('report a macro defined twice with both files', () => {
    const environment = new TemplateEnvironment('shop');
    const errors = new ErrorCollector();
    environment.loadMacros([
      { path: 'macros/a.sql', text: '{% macro cents(x) %}{{ x }}{% endmacro %}' },
      { path: 'macros/b.sql', text: '\n\n{% macro cents(x) %}{{ x }}{% endmacro %}' },
    ], errors);
    expect(errors.errors).toHaveLength(1);
    expect(errors.errors[0]!.message).toContain('macros/a.sql:1');
    expect(errors.errors[0]!.location).toMatchObject({ file: 'macros/b.sql', line: 3 });
  });
});

describe('toCompileError', () => {
  it('reads positions from the error when its text has none', () => {
    const error = Object.assign(new Error('(models/x.sql)\n  Error: boom'), { lineno: 0, colno: 4 });
    expect(toCompileError(error, 'models/x.sql', 'render').location).toMatchObject({ line: 1, column: 5 });
    expect(toCompileError(new Error('plain'), 'models/x.sql', 'render').location.line).toBe(1);
  });
});
