import { createHash } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CompileError } from '../errors.js';
import { argument, splitArgs } from './keyword-args.js';
import { isDict, pyJson, pyStr, unwrap } from './python-values.js';
import type { TemplateEnvironment } from './environment.js';
import type { RunContext } from './context.js';

/**
 * The rest of dbt's Jinja context that real projects use: Python builtins (`namespace`, `zip`,
 * `dict`), `execute`, JSON/YAML helpers, `api.Column.translate_type`, and dbt's cross-database
 * macros (`dbt.hash`, `dbt.dateadd`, `dbt.type_string` ...), rendered as dbt renders them on
 * DuckDB and PostgreSQL.
 *
 * Rendering is synchronous and happens before any connection is opened, so what needs the
 * database while a model compiles (`run_query`, `{% call statement %}`, `load_result`,
 * `adapter.get_columns_in_relation` ...) is a CompileError at the line that calls it, never a
 * silently empty result.
 */
export function installDbtGlobals(environment: TemplateEnvironment, run: RunContext): void {
  const set = (name: string, value: unknown) => environment.setGlobal(name, value);
  const needsDatabase = (what: string) => (): never => {
    const macro = environment.currentMacro();
    const where = macro ? ` (in macro '${macro.name}', ${macro.path}:${macro.line})` : '';
    throw new CompileError(
      `${what} queries the database while the model compiles${where}: smelt renders every model before it connects, so it does not support this in models`,
      {},
      'Compute the value in SQL instead (a join, a subquery or a CTE), or pass it in with var(). run_query works in `smelt run-operation`.',
    );
  };

  // dbt calls these overrides to name relations; smelt does not, so defining one must not pass silently.
  for (const name of ['generate_alias_name', 'generate_database_name']) {
    const macro = environment.macros.get(name);
    if (macro) {
      throw new CompileError(`Macro '${name}' overrides how dbt names relations, which smelt does not support`, { file: macro.path, line: macro.line }, name === 'generate_alias_name' ? "Set config(alias='...') on the models instead (generate_schema_name is supported)." : 'smelt builds in the target database; remove the macro.');
    }
  }

  set('execute', true);
  set('run_query', needsDatabase('run_query()'));
  set('statement', needsDatabase('{% call statement() %}'));
  set('load_result', needsDatabase('load_result()'));

  set('namespace', (...args: unknown[]) => ({ ...(splitArgs(args).positional[0] as object | undefined), ...splitArgs(args).keywords }));
  set('dict', (...args: unknown[]) => {
    const { positional, keywords } = splitArgs(args);
    const first = unwrap(positional[0]);
    const base = Array.isArray(first) ? Object.fromEntries(first as [string, unknown][]) : isDict(first) ? { ...first } : {};
    return { ...base, ...keywords };
  });
  set('zip', (...lists: unknown[]) => {
    const arrays = lists.map((l) => (Array.isArray(l) ? l : [...String(l ?? '')]));
    const length = arrays.length === 0 ? 0 : Math.min(...arrays.map((a) => a.length));
    return Array.from({ length }, (_, i) => arrays.map((a) => a[i]));
  });
  set('tojson', (...args: unknown[]) => {
    const split = splitArgs(args);
    return pyJson(argument(split, 0, 'value'), { sortKeys: !!argument(split, 2, 'sort_keys') });
  });
  set('fromjson', (...args: unknown[]) => {
    const split = splitArgs(args);
    try {
      return JSON.parse(pyStr(argument(split, 0, 'string')));
    } catch {
      return argument(split, 1, 'default');
    }
  });
  set('toyaml', (value: unknown) => stringifyYaml(value));
  set('fromyaml', (...args: unknown[]) => {
    const split = splitArgs(args);
    try {
      return parseYaml(pyStr(argument(split, 0, 'value')));
    } catch {
      return argument(split, 1, 'default');
    }
  });
  set('local_md5', (value: unknown) => createHash('md5').update(pyStr(value)).digest('hex'));
  set('print', (value: unknown) => {
    run.log?.(pyStr(value));
    return '';
  });

  const type = run.target.type;
  const translate = (name: unknown): string => {
    const key = String(name).toUpperCase();
    return ({ STRING: 'TEXT', TIMESTAMP: 'TIMESTAMP', FLOAT: 'FLOAT', INTEGER: 'INT', BOOLEAN: 'BOOLEAN' } as Record<string, string>)[key] ?? String(name);
  };
  set('api', {
    Column: {
      translate_type: translate,
      numeric_type: (dtype: unknown, precision?: unknown, scale?: unknown) => (precision === undefined || precision === null ? String(dtype) : `${String(dtype)}(${String(precision)},${String(scale)})`),
    },
  });

  // dbt's cross-database macros, with dbt-duckdb's and dbt-postgres's SQL.
  const datediff = (first: unknown, second: unknown, part: unknown): string => {
    const p = String(part).toLowerCase();
    if (type === 'duckdb') {
      if (p === 'week') return `(${datediff(first, second, 'day')} // 7 + case when date_part('dow', (${first})::timestamp) <= date_part('dow', (${second})::timestamp) then case when ${first} <= ${second} then 0 else -1 end else case when ${first} <= ${second} then 1 else 0 end end)`;
      return `(date_diff('${p}', ${first}::timestamp, ${second}::timestamp ))`;
    }
    switch (p) {
      case 'year': return `(date_part('year', (${second})::date) - date_part('year', (${first})::date))`;
      case 'quarter': return `(${datediff(first, second, 'year')} * 4 + date_part('quarter', (${second})::date) - date_part('quarter', (${first})::date))`;
      case 'month': return `(${datediff(first, second, 'year')} * 12 + date_part('month', (${second})::date) - date_part('month', (${first})::date))`;
      case 'day': return `((${second})::date - (${first})::date)`;
      case 'week': return `(${datediff(first, second, 'day')} / 7 + case when date_part('dow', (${first})::timestamp) <= date_part('dow', (${second})::timestamp) then case when ${first} <= ${second} then 0 else -1 end else case when ${first} <= ${second} then 1 else 0 end end)`;
      case 'hour': return `(${datediff(first, second, 'day')} * 24 + date_part('hour', (${second})::timestamp) - date_part('hour', (${first})::timestamp))`;
      case 'minute': return `(${datediff(first, second, 'hour')} * 60 + date_part('minute', (${second})::timestamp) - date_part('minute', (${first})::timestamp))`;
      case 'second': return `(${datediff(first, second, 'minute')} * 60 + floor(date_part('second', (${second})::timestamp)) - floor(date_part('second', (${first})::timestamp)))`;
      default: throw new CompileError(`Unsupported datepart for macro datediff in postgres: '${p}'`);
    }
  };
  const dbt: Record<string, (...args: any[]) => string> = {
    type_string: () => translate('string'),
    type_timestamp: () => translate('timestamp'),
    type_float: () => translate('float'),
    type_int: () => translate('integer'),
    type_bigint: () => 'bigint',
    type_boolean: () => translate('boolean'),
    type_numeric: () => 'numeric(28,6)',
    hash: (field) => `md5(cast(${field} as ${translate('string')}))`,
    concat: (fields) => (unwrap(fields) as unknown[]).map((f) => pyStr(f)).join(' || '),
    cast: (field, to) => `cast(${field} as ${to})`,
    safe_cast: (field, to) => `cast(${field} as ${to})`,
    cast_bool_to_text: (field) => `cast(${field} as ${translate('string')})`,
    string_literal: (value) => `'${value}'`,
    escape_single_quotes: (value) => pyStr(value).replaceAll("'", "''"),
    date_trunc: (part, date) => `date_trunc('${part}', ${date})`,
    dateadd: (part, interval, from) => {
      const unit = String(part).toLowerCase();
      if (type === 'postgres') return `${from} + ((interval '1 ${part}') * (${interval}))`;
      if (unit === 'quarter') return `(${from} + (cast(${interval} as bigint) * 3) * interval 1 month)`;
      if (unit === 'week') return `(${from} + (cast(${interval} as bigint) * 7) * interval 1 day)`;
      return `(${from} + cast(${interval} as bigint) * interval 1 ${unit})`;
    },
    datediff,
    split_part: (text, delimiter, part) => {
      if (type === 'duckdb') return `string_split(${text}, ${delimiter})[ ${part} ]`;
      if (Number(part) >= 0) return `split_part(${text}, ${delimiter}, ${part})`;
      return `split_part(${text}, ${delimiter}, length(${text}) - length(replace(${text}, ${delimiter}, '')) + 2 + ${part})`;
    },
    any_value: (expression) => (type === 'duckdb' ? `arbitrary(${expression})` : `min(${expression})`),
    bool_or: (expression) => `bool_or(${expression})`,
    current_timestamp: () => (type === 'duckdb' ? 'now()' : 'now()'),
    length: (expression) => `length(${expression})`,
    replace: (field, old, replacement) => `replace(${field}, ${old}, ${replacement})`,
    position: (substring, string) => `position(${substring} in ${string})`,
    right: (string, length) => `right(${string}, ${length})`,
    except: () => 'except',
    intersect: () => 'intersect',
  };
  set('dbt', Object.fromEntries(Object.entries(dbt).map(([name, fn]) => [name, (...args: unknown[]) => fn(...splitArgs(args).positional)])));

  const adapter = environment.globals.adapter as Record<string, unknown> | undefined;
  if (adapter) {
    for (const name of ['get_columns_in_relation', 'get_relation', 'load_relation', 'get_missing_columns', 'execute', 'list_relations_without_caching', 'get_relations_by_pattern']) {
      adapter[name] = needsDatabase(`adapter.${name}()`);
    }
  }
}
