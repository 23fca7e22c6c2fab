import { describe, expect, it } from 'vitest';
import { CompileError, DependencyError, ErrorCollector, FollowOnError, SmeltErrors } from './errors.js';

describe('ErrorCollector', () => {
  it('keeps follow-on errors behind the errors that caused them', () => {
    const errors = new ErrorCollector();
    errors.attempt(() => {
      throw new FollowOnError("ref('fact'): 'fact' failed to compile", { node: 'test.p.t' });
    });
    errors.attempt(() => {
      throw new CompileError('Template syntax error', { file: 'models/fact.sql', line: 1 });
    });
    expect(() => errors.throwIfAny()).toThrow(CompileError);
  });

  it('reports follow-on errors when nothing else went wrong, one or many', () => {
    const one = new ErrorCollector();
    one.add(new FollowOnError('a'));
    expect(() => one.throwIfAny()).toThrow(FollowOnError);
    const many = new ErrorCollector();
    many.attempt(() => {
      throw new SmeltErrors([new FollowOnError('a'), new FollowOnError('b')]);
    });
    expect(() => many.throwIfAny()).toThrow(SmeltErrors);
    // A follow-on error is a dependency error like any other to whoever catches it.
    expect(new FollowOnError('a')).toBeInstanceOf(DependencyError);
  });
});
