import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, CsvError, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { SeedError, preview } from './seed-error.js';

export interface CsvRecord {
  values: string[];
  /** Line of the file on which the record starts (1-based; records may span lines). */
  line: number;
}

export interface CsvReadOptions {
  /** Absolute path to read. */
  path: string;
  /** Relative path for messages. */
  file: string;
  delimiter: string;
  /** Column names for messages, once known (the header is the first record). */
  names?: () => readonly string[] | undefined;
}

/**
 * The records of a CSV file, parsed by csv-parse as a stream: memory stays flat whatever the
 * file's size. Blank lines are skipped; quoted values may hold delimiters, quotes ("") and line
 * breaks. Every problem csv-parse finds becomes a SeedError with the line and column name.
 */
export async function* readCsvRecords(options: CsvReadOptions): AsyncGenerator<CsvRecord> {
  const input = createReadStream(options.path, { highWaterMark: 1 << 16 });
  // pipeline, not pipe: a read error (the file is gone) must reach the loop below.
  const parser = pipeline(
    input,
    parse(parseOptions(options.delimiter)),
    () => undefined,
  );
  let endLine = 0;
  let emptyLines = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = endLine + 1 + (info.empty_lines - emptyLines);
      endLine = info.lines;
      emptyLines = info.empty_lines;
      yield { values: record, line };
    }
  } catch (error) {
    if (error instanceof CsvError) throw translateCsvError(error, options, endLine + 1);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SeedError(`The seed file ${options.file} does not exist`, { file: options.file }, 'It was removed after smelt started; run again.');
    throw error;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** The bytes read for a sample at once (about 38,000 rows of the 10-column bench file). */
const PREFIX_BYTES = 4 << 20;

/** The first bytes of a file, for the sample. */
export interface FilePrefix {
  /** Up to the last line break read (all of it when `whole`): a record cut short is left out. */
  bytes: Buffer;
  /** The file ends within these bytes. */
  whole: boolean;
}

/** The file's first 4 MB; undefined when it cannot be read (the stream then reports why). */
export function readFilePrefix(path: string): FilePrefix | undefined {
  const buffer = Buffer.allocUnsafe(PREFIX_BYTES);
  let length = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, length);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const whole = length < buffer.length;
  return { bytes: buffer.subarray(0, whole ? length : buffer.lastIndexOf(0x0a, length - 1) + 1), whole };
}

/**
 * The first `count` records, parsed in one synchronous call on the file's first bytes (a stream
 * pays for an await per record). Undefined when the prefix does not settle it (fewer records
 * before its last line break, or anything csv-parse objects to): the caller then streams with
 * readCsvRecords, which finds and words any problem.
 */
export function readCsvPrefix(options: CsvReadOptions, count: number, prefix = readFilePrefix(options.path)): CsvRecord[] | undefined {
  if (!prefix) return undefined;
  let parsed: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    parsed = parseSync(prefix.bytes, { ...parseOptions(options.delimiter), to: count }) as unknown as typeof parsed;
  } catch {
    return undefined;
  }
  if (parsed.length < count && !prefix.whole) return undefined;
  let endLine = 0;
  let emptyLines = 0;
  return parsed.map(({ record, info }) => {
    // As readCsvRecords counts lines.
    const line = endLine + 1 + (info.empty_lines - emptyLines);
    endLine = info.lines;
    emptyLines = info.empty_lines;
    return { values: record, line };
  });
}

/** Both line endings, even mixed, as the byte checker and the databases read them. */
function parseOptions(delimiter: string): Options & { info: true } {
  return { delimiter, quote: '"', escape: '"', record_delimiter: ['\r\n', '\n'], bom: true, skip_empty_lines: true, info: true };
}

function translateCsvError(error: CsvError, options: CsvReadOptions, recordLine: number): SeedError {
  const e = error as CsvError & { lines?: number; column?: number | string; record?: string[] };
  const names = options.names?.() ?? [];
  const name = (index: number | undefined): string => (index !== undefined && names[index] !== undefined ? `'${names[index]}'` : `${(index ?? 0) + 1}`);
  const column = typeof e.column === 'number' ? e.column : undefined;
  const file = options.file;
  const quoteHint = 'Quote a value that contains the delimiter, a quote or a line break, and double the quotes inside it: "say ""hi""".';
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const match = /expect (\d+), got (\d+)/.exec(error.message);
      const expected = Number(match?.[1] ?? names.length);
      const got = Number(match?.[2] ?? 0);
      const detail = got < expected ? `no value for column ${name(got)}` : `a value after the last column ${name(expected - 1)}`;
      return new SeedError(`Row has ${got} value${got === 1 ? '' : 's'} but the header has ${expected} columns (${detail})`, { file, line: e.lines ?? recordLine }, `Every row needs one value per column. ${quoteHint}`);
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return new SeedError(`Unterminated quote in column ${name(column)}: the quoted value that starts on line ${recordLine} never ends`, { file, line: recordLine }, quoteHint);
    case 'INVALID_OPENING_QUOTE':
      return new SeedError(`A quote inside an unquoted value in column ${name(column)}`, { file, line: e.lines ?? recordLine }, quoteHint);
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new SeedError(`Text after the closing quote of a value in column ${name(column)}`, { file, line: e.lines ?? recordLine }, quoteHint);
    default:
      return new SeedError(`Cannot read the CSV: ${preview(error.message, 200)}`, { file, line: e.lines ?? recordLine }, undefined, { cause: error });
  }
}
