import { CompileError, ConfigError, type ErrorLocation } from '../errors.js';
import type { NodeHooks } from '../template/context.js';
import type { TemplateEnvironment } from '../template/environment.js';
import type { TemplateValues } from './template-values.js';

/** A macro's parameters: those without a default are positional in nunjucks, the rest keywords. */
export interface MacroSignature {
  positional: string[];
  keywords: string[];
}

/** Reads `name(a, b, c=1, d='x')` from the start of a macro's definition. */
export function macroSignature(source: string): MacroSignature {
  const open = source.indexOf('(');
  if (open < 0) return { positional: [], keywords: [] };
  const params: string[] = [];
  let depth = 0;
  let current = '';
  let quote: string | undefined;
  for (let i = open + 1; i < source.length; i++) {
    const ch = source[i]!;
    if (quote) {
      if (ch === quote && source[i - 1] !== '\\') quote = undefined;
      current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) {
        params.push(current);
        break;
      }
      depth--;
    } else if (ch === ',' && depth === 0) {
      params.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  const signature: MacroSignature = { positional: [], keywords: [] };
  for (const param of params.map((p) => p.trim()).filter(Boolean)) {
    const [name, ...rest] = param.split('=');
    (rest.length > 0 ? signature.keywords : signature.positional).push(name!.trim());
  }
  return signature;
}

/**
 * Renders a project's `{% test name(model, column_name, ...) %}` for one test: arguments are
 * passed by name as dbt does (nunjucks only matches defaults by name, so required parameters are
 * passed in order). A missing or unknown argument is an error at the test's YAML line.
 */
export function renderCustomTest(options: {
  environment: TemplateEnvironment;
  values: TemplateValues;
  hooks: NodeHooks;
  macroName: string;
  testLabel: string;
  kwargs: Record<string, unknown>;
  at: ErrorLocation;
}): string {
  const { environment, macroName, kwargs, at, testLabel } = options;
  const entry = environment.macros.get(macroName)!;
  const signature = macroSignature(environment.macroSource(macroName) ?? '');
  const known = new Set([...signature.positional, ...signature.keywords]);
  const unknown = Object.keys(kwargs).filter((k) => !known.has(k) && kwargs[k] !== undefined);
  if (unknown.length > 0) {
    throw new ConfigError(
      `Test '${testLabel}' has no argument${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `'${u}'`).join(', ')}`,
      at,
      `${macroName.replace(/^test_/, '')} (${entry.path}:${entry.line}) takes: ${[...known].join(', ')}.`,
    );
  }
  const missing = signature.positional.filter((p) => kwargs[p] === undefined);
  if (missing.length > 0) {
    const hint = missing.includes('column_name')
      ? 'Declare the test under a column (columns: - name: x  data_tests: [...]), or pass column_name.'
      : `Pass ${missing.map((m) => `${m}: ...`).join(', ')} under the test's name.`;
    throw new ConfigError(`Test '${testLabel}' needs argument${missing.length === 1 ? '' : 's'} ${missing.map((m) => `'${m}'`).join(', ')}`, at, hint);
  }
  const macro = environment.globals[macroName] as (...args: unknown[]) => unknown;
  const keywordArgs = Object.fromEntries(signature.keywords.filter((k) => kwargs[k] !== undefined).map((k) => [k, kwargs[k]]));
  environment.setGlobal('__smelt_call_test', () => macro(...signature.positional.map((p) => kwargs[p]), { ...keywordArgs, __keywords: true }));
  const sql = options.values.render('{{ __smelt_call_test() }}', options.hooks, at).trim();
  if (sql === '') throw new CompileError(`Test '${testLabel}' rendered no SQL`, at, `Check that ${macroName.replace(/^test_/, '')} in ${entry.path} selects the failing rows.`);
  return sql;
}
