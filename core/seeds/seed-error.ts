import { SmeltError, type ErrorLocation } from '../errors.js';

/**
 * A seed's CSV file cannot be loaded as it is: a ragged row, a broken quote, a value that does
 * not fit its column type, an empty file, a bad header, invalid UTF-8. Located at the CSV file
 * (relative path) and line; the message names the column.
 */
export class SeedError extends SmeltError {
  constructor(message: string, location: ErrorLocation & { file: string }, hint?: string, options?: { cause?: unknown }) {
    super(message, location, hint, options);
  }
}

/**
 * A value the byte checker found outside its column's type. For a type from column_types
 * (`configuredIn` set) it is the user's error; for an inferred type it only means the column
 * needs a wider type than the sample showed, and the loader widens it.
 */
export class SeedValueMismatch extends SeedError {
  readonly inferred: boolean;

  constructor(file: string, line: number, readonly column: string, readonly value: string, readonly expected: string, configuredIn?: string) {
    super(
      configuredIn
        ? `Value '${preview(value)}' in column '${column}' is not a valid ${expected} (column_types sets ${column}: ${expected})`
        : `Value '${preview(value)}' in column '${column}' does not fit the type inferred from the first rows (${expected})`,
      { file, line },
      configuredIn ? `Fix the value, or change column_types for '${column}' in ${configuredIn} (text accepts any value).` : undefined,
    );
    this.inferred = !configuredIn;
  }
}

/** Bytes that are not UTF-8, found by a check that cannot say where: csv-parse then locates them. */
export class SeedNotUtf8 extends SeedError {
  constructor(file: string) {
    super('The file is not valid UTF-8', { file }, 'Save the file as UTF-8 (in a spreadsheet: "CSV UTF-8").');
  }
}

/** Long values are cut so an error stays one readable line. */
export function preview(value: string, max = 40): string {
  const flat = value.replace(/\r?\n/g, '\\n');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
