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
 * A value the byte checker rejected while the database was loading. Not shown to users as is:
 * the loader re-reads the file to tell a wider inferred type from a real error.
 */
export class SeedValueMismatch extends SeedError {
  constructor(file: string, line: number, readonly column: string, readonly value: string, readonly expected: string) {
    super(`Value '${preview(value)}' in column '${column}' is not a valid ${expected}`, { file, line });
  }
}

/** Long values are cut so an error stays one readable line. */
export function preview(value: string, max = 40): string {
  const flat = value.replace(/\r?\n/g, '\\n');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
