import { ConfigError, type ErrorLocation } from '../errors.js';

/**
 * smelt's built-in generic tests. Each returns the SQL that selects the failing rows, the same
 * SQL dbt's macros (and dbt_utils' for the grain test) produce, so failure counts agree with
 * dbt's. They are SQL generators rather than template macros: nothing to render, and their
 * shape is known, which lets several of them share one scan (batch.ts). A project macro
 * `{% test unique(...) %}` still overrides the built-in of that name, as in dbt.
 */
export interface GenericTestInput {
  /** The relation (or `where`-filtered subquery) under test, as SQL text. */
  model: string;
  columnName?: string;
  args: Record<string, unknown>;
  /** Where each argument was written, for errors. */
  at: (arg?: string) => ErrorLocation;
  literal: (value: string) => string;
}

export interface BuiltinTest {
  /** Arguments besides model and column_name; `required` ones must be given. */
  args: { name: string; required: boolean }[];
  needsColumn: boolean;
  sql(input: GenericTestInput): string;
}

export const BUILTIN_TESTS: Record<string, BuiltinTest> = {
  not_null: {
    args: [],
    needsColumn: true,
    // Whole rows (dbt selects only the column unless failures are stored; counts are the same).
    sql: ({ model, columnName }) => `select *\nfrom ${model}\nwhere ${columnName} is null`,
  },
  unique: {
    args: [],
    needsColumn: true,
    sql: ({ model, columnName }) =>
      `select\n    ${columnName} as unique_field,\n    count(*) as n_records\nfrom ${model}\nwhere ${columnName} is not null\ngroup by ${columnName}\nhaving count(*) > 1`,
  },
  accepted_values: {
    args: [{ name: 'values', required: true }, { name: 'quote', required: false }],
    needsColumn: true,
    sql: (input) => {
      const { model, columnName } = input;
      return `with all_values as (\n    select\n        ${columnName} as value_field,\n        count(*) as n_records\n    from ${model}\n    group by ${columnName}\n)\nselect *\nfrom all_values\nwhere value_field not in (\n    ${acceptedValuesList(input).join(', ')}\n)`;
    },
  },
  relationships: {
    args: [{ name: 'to', required: true }, { name: 'field', required: true }],
    needsColumn: true,
    sql: ({ model, columnName, args, at }) => {
      const field = args.field;
      if (typeof field !== 'string' || field.trim() === '') throw new ConfigError(`relationships: 'field' must name the column in '${String(args.to)}' to match`, at('field'), 'Example: {to: ref(\'dim_customers\'), field: customer_id}');
      return `with child as (\n    select ${columnName} as from_field\n    from ${model}\n    where ${columnName} is not null\n),\nparent as (\n    select ${field} as to_field\n    from ${String(args.to)}\n)\nselect from_field\nfrom child\nleft join parent\n    on child.from_field = parent.to_field\nwhere parent.to_field is null`;
    },
  },
  unique_combination_of_columns: {
    args: [{ name: 'combination_of_columns', required: true }, { name: 'quote_columns', required: false }],
    needsColumn: false,
    sql: ({ model, args, at }) => {
      const columns = combinationColumns(args, at);
      const list = columns.join(', ');
      return `with validation_errors as (\n    select\n        ${list}, count(*) as n_records\n    from ${model}\n    group by ${list}\n    having count(*) > 1\n)\nselect *\nfrom validation_errors`;
    },
  },
};

/** The namespaces under which a built-in may be named (dbt_utils' grain test runs unmodified). */
export const BUILTIN_NAMESPACES: ReadonlySet<string> = new Set(['dbt', 'dbt_utils', 'smelt']);

/** `values:` as SQL literals; a missing, empty or nested list is an error at the `values` line. */
export function acceptedValuesList(input: Pick<GenericTestInput, 'args' | 'at' | 'literal'>): string[] {
  const { args, at, literal } = input;
  const values = args.values;
  const example = 'Example: accepted_values: {values: [placed, shipped, returned]}';
  if (!Array.isArray(values)) {
    throw new ConfigError(`accepted_values: 'values' must be a list, not ${values === undefined ? 'missing' : JSON.stringify(values)}`, at('values'), example);
  }
  if (values.length === 0) throw new ConfigError("accepted_values: 'values' is empty, so every row would fail", at('values'), example);
  const bad = values.find((v) => v === null || typeof v === 'object');
  if (bad !== undefined) {
    throw new ConfigError(`accepted_values: every value must be a single text, number or boolean, not ${JSON.stringify(bad)}`, at('values'), `${example} (check the indentation: one value per "- " item)`);
  }
  const quote = args.quote === undefined ? true : args.quote;
  if (typeof quote !== 'boolean') throw new ConfigError(`accepted_values: 'quote' must be true or false, not ${JSON.stringify(quote)}`, at('quote'));
  return values.map((v) => (quote ? literal(String(v)) : String(v)));
}

export function combinationColumns(args: Record<string, unknown>, at: (arg?: string) => ErrorLocation): string[] {
  const columns = args.combination_of_columns;
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c.trim() === '')) {
    throw new ConfigError(`unique_combination_of_columns: 'combination_of_columns' must be a non-empty list of column names`, at('combination_of_columns'), 'Example: {combination_of_columns: [order_id, line_number]}');
  }
  const quote = args.quote_columns === true;
  return (columns as string[]).map((c) => (quote ? `"${c.replaceAll('"', '""')}"` : c));
}
