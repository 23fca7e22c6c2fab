import { describe, expect, it } from 'vitest';
import { macroSignature } from './custom-tests.js';

describe('macroSignature', () => {
  it('splits required parameters from those with defaults', () => {
    expect(macroSignature('{% test positive(model, column_name, allow_zero=false) %}')).toEqual({ positional: ['model', 'column_name'], keywords: ['allow_zero'] });
    expect(macroSignature('{% macro test_x(model, values=["a, b", (1, 2)], quote=true) %}')).toEqual({ positional: ['model'], keywords: ['values', 'quote'] });
    expect(macroSignature('{% test empty() %}')).toEqual({ positional: [], keywords: [] });
  });
});
