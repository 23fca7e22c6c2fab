import { Transform, type TransformCallback } from 'node:stream';
import { SeedError, SeedNotUtf8, SeedValueMismatch } from './seed-error.js';
import type { FileDigest } from './file-digest.js';
import { SQL_TYPE, kindMatcher, type ByteMatcher, type ColumnInference } from './seed-types.js';

export interface CsvCheck {
  /** Whether a non-empty value (its raw bytes, without quotes) fits the column. */
  match: ByteMatcher;
  /** The column's SQL type, for messages. */
  expected: string;
  /** For a type set in column_types: the file that sets it (a value that does not fit is an error). */
  configuredIn?: string;
  /** For an inferred type, when scanning for types: a value that does not fit widens it instead. */
  widen?: ColumnInference;
}

export interface CsvCheckOptions {
  /** Relative path, for messages. */
  file: string;
  delimiter: string;
  /** Column names: their count is the number of values every record must have. */
  columns: readonly string[];
  /** The first record is the header: its values are not checked. */
  header: boolean;
  /** Per column, a check on each non-empty value (undefined: any text). */
  checks?: ReadonlyArray<CsvCheck | undefined>;
  /** Pass the bytes on, less a byte-order mark and blank lines; otherwise only check them. */
  emit: boolean;
  /** Fed every byte as it passes (checksum, UTF-8): invalid UTF-8 stops the stream. */
  digest?: FileDigest;
  /**
   * Check only this many data records (the sample), then read one more for its structure only
   * and stop there: `more` tells whether there was one.
   */
  limit?: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// Scanner states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted value: the next byte says whether it was "" or the closing quote. */
const QUOTE_IN_QUOTED = 3;
/** A carriage return outside quotes: a line feed must follow. */
const CR_SEEN = 4;

/**
 * Checks, at several hundred MB/s, the bytes a database is about to parse: RFC 4180 quoting,
 * one value per column on every row, UTF-8, and each value of a typed column against its type
 * (byte matchers; with `widen`, a value that does not fit widens the type instead). It is a
 * scanner, not a parser: it finds field boundaries and never builds records. csv-parse stays the
 * parser that produces values (the header, diagnosis); this exists because running csv-parse
 * over every row would cost several times what the database's own loader does. It also reads
 * the sample's rows (`limit`), widening types from nothing, as csv-parse was slow to start.
 *
 * It throws on the first problem, located and worded as csv-parse's errors are: a SeedError for
 * broken structure, a SeedValueMismatch for a value outside its column's type, a SeedNotUtf8
 * (csv-parse then finds the line). Blank lines are skipped (and dropped from the output), as
 * csv-parse and DuckDB skip them; the output ends lines with LF only, so mixed line endings load
 * everywhere.
 */
export class CsvCheckStream extends Transform {
  private readonly delimiter: number;
  private readonly expectedFields: number;
  /** Per column; a widened column's check is replaced as the scan goes. */
  private readonly checks: (CsvCheck | undefined)[];
  private state = FIELD_START;
  private line = 1;
  private recordLine = 1;
  private fieldIndex = 0;
  /** Whether the current record has any byte besides a carriage return (else it is a blank line). */
  private recordHasBytes = false;
  private fieldQuoted = false;
  /** Parts of the current (checked) field that arrived in earlier chunks. */
  private fieldParts: Buffer[] = [];
  /** The first bytes until there are enough to tell a byte-order mark; undefined after. */
  private head: Buffer | undefined = Buffer.alloc(0);
  /** Records seen, header included. */
  private records = 0;
  /** With a limit: the record count at which the checks end, then the one at which the scan stops. */
  private stopAt = Infinity;
  private stopped = false;

  constructor(private readonly options: CsvCheckOptions) {
    super();
    this.delimiter = options.delimiter.charCodeAt(0);
    this.expectedFields = options.columns.length;
    this.checks = [...(options.checks ?? [])];
    if (options.limit !== undefined) {
      this.stopAt = options.limit + (options.header ? 1 : 0);
      if (this.stopAt === 0) this.endChecks();
    }
  }

  /** With a limit: whether a record followed the checked ones (the scan stopped after it). */
  get more(): boolean {
    return this.stopped;
  }

  /**
   * The next bytes, checked synchronously without the stream (the sample, and the check beside
   * a database that reads the file itself): throws what the stream would, keeps no reference
   * to `bytes` (the caller may reuse them), and passes nothing on.
   */
  checkChunk(bytes: Buffer): void {
    this.scanChunk(bytes);
  }

  /** The end of the bytes given to checkChunk. */
  checkEnd(): void {
    this.scanEnd();
  }

  /** Data records seen (the header not counted). */
  get rows(): number {
    return this.records - (this.options.header && this.records > 0 ? 1 : 0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.scanChunk(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.scanEnd();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private scanChunk(chunk: Buffer): void {
    if (this.stopped) return;
    const digest = this.options.digest;
    if (digest) {
      digest.update(chunk);
      if (!digest.utf8SoFar) throw new SeedNotUtf8(this.options.file);
    }
    let start = 0;
    if (this.head !== undefined) {
      // The first bytes: enough of them to know whether they are a byte-order mark.
      chunk = this.head.length > 0 ? Buffer.concat([this.head, chunk]) : chunk;
      if (chunk.length < 3 && BOM.subarray(0, chunk.length).equals(chunk)) {
        this.head = Buffer.from(chunk);
        return;
      }
      this.head = undefined;
      if (chunk.subarray(0, 3).equals(BOM)) start = 3;
    }
    this.process(chunk, start);
  }

  private scanEnd(): void {
    if (this.head && this.head.length > 0) this.process(this.head, 0);
    this.finish();
  }

  private process(chunk: Buffer, start: number): void {
    const drops = this.scan(chunk, start);
    if (this.options.emit) this.emitChunk(chunk, start, drops);
  }

  private emitChunk(chunk: Buffer, start: number, drops: number[]): void {
    // A carriage return at the end of a chunk waits for its line feed; it is dropped either way
    // (line endings go out as LF, which every database reads; CRs inside quotes are kept).
    const end = this.state === CR_SEEN ? chunk.length - 1 : chunk.length;
    const parts: Buffer[] = [];
    let from = start;
    for (let i = 0; i < drops.length; i += 2) {
      if (drops[i]! > from) parts.push(chunk.subarray(from, drops[i]!));
      from = Math.max(from, drops[i + 1]!);
    }
    if (end > from) parts.push(chunk.subarray(from, end));
    if (parts.length === 1) this.push(parts[0]);
    else if (parts.length > 1) this.push(Buffer.concat(parts));
  }

  /** Scans one chunk; returns [start, end) ranges of blank lines to drop. Locals, not fields, in the loop: it runs per byte. */
  private scan(chunk: Buffer, from: number): number[] {
    const drops: number[] = [];
    const delimiter = this.delimiter;
    const expected = this.expectedFields;
    const checks = this.checks;
    const n = chunk.length;
    let state = this.state;
    let fieldIndex = this.fieldIndex;
    let recordHasBytes = this.recordHasBytes;
    let line = this.line;
    let recordLine = this.recordLine;
    let records = this.records;
    let quoted = this.fieldQuoted;
    let inHeader = this.options.header && records === 0;
    // A field (or a checked field's bytes kept in fieldParts) continues at the start of the chunk.
    let fieldStart = from;
    // Where a blank line would start; -1 when the current record began in an earlier chunk.
    let recordStart = state === FIELD_START && fieldIndex === 0 && !recordHasBytes ? from : -1;
    // What ends at byte i: a field (delimiter), a field and its record (LF), a field before a CR.
    let ends: number;
    const highest = Math.max(delimiter, QUOTE);
    for (let i = from; i < n; i++) {
      if (state === FIELD_START && !inHeader) {
        this.fieldIndex = fieldIndex;
        this.records = records;
        this.line = line;
        this.recordLine = recordLine;
        i = this.plainFields(chunk, i, n);
        fieldIndex = this.fieldIndex;
        records = this.records;
        line = this.line;
        recordLine = this.recordLine;
        recordHasBytes = fieldIndex > 0;
        if (fieldIndex === 0) recordStart = i;
        fieldStart = i;
        if (i === n || this.stopped) break;
      }
      // Most bytes are plain text inside a value: skip them in a tight loop.
      if (state === UNQUOTED) {
        // One comparison for most bytes: every special byte is <= highest.
        while (i < n) {
          const c = chunk[i]!;
          if (c <= highest && (c === delimiter || c === LF || c === CR || c === QUOTE)) break;
          i++;
        }
        if (i === n) break;
      } else if (state === QUOTED) {
        while (i < n && chunk[i] !== QUOTE && chunk[i] !== LF) i++;
        if (i === n) break;
      }
      const b = chunk[i]!;
      ends = 0;
      if (state === UNQUOTED) {
        if (b === delimiter) ends = 1;
        else if (b === LF) ends = 2;
        else if (b === CR) ends = 3;
        else if (b === QUOTE) this.fail(`A quote inside an unquoted value in column ${this.columnName(fieldIndex)}`, recordLine);
        else continue;
      } else if (state === QUOTED) {
        if (b === QUOTE) state = QUOTE_IN_QUOTED;
        else if (b === LF) line++;
        continue;
      } else if (state === FIELD_START) {
        if (b === QUOTE) {
          state = QUOTED;
          quoted = true;
          recordHasBytes = true;
          fieldStart = i + 1;
          continue;
        }
        if (b === delimiter) {
          ends = 1;
          fieldStart = i;
        } else if (b === LF) {
          if (fieldIndex === 0 && !recordHasBytes) {
            // A blank line.
            if (recordStart >= 0) drops.push(recordStart, i + 1);
            line++;
            recordLine = line;
            recordStart = i + 1;
            fieldStart = i + 1;
            continue;
          }
          ends = 2;
          fieldStart = i;
        } else if (b === CR) {
          if (fieldIndex === 0 && !recordHasBytes) {
            state = CR_SEEN;
            continue;
          }
          ends = 3;
          fieldStart = i;
        } else {
          state = UNQUOTED;
          recordHasBytes = true;
          fieldStart = i;
          continue;
        }
      } else if (state === QUOTE_IN_QUOTED) {
        if (b === QUOTE) {
          state = QUOTED;
          continue;
        }
        if (b === delimiter) ends = 1;
        else if (b === LF) ends = 2;
        else if (b === CR) ends = 3;
        else this.fail(`Text after the closing quote of a value in column ${this.columnName(fieldIndex)}`, recordLine);
      } else {
        // CR_SEEN
        if (b !== LF) this.fail('A carriage return that does not end a line (only \\n and \\r\\n line endings are supported)', recordLine);
        state = FIELD_START;
        fieldStart = i + 1;
        if (fieldIndex === 0 && !recordHasBytes) {
          if (recordStart >= 0) drops.push(recordStart, i + 1);
          else if (i > from) drops.push(i - 1, i + 1);
          else drops.push(i, i + 1);
          line++;
          recordLine = line;
          recordStart = i + 1;
          continue;
        }
        // CRLF goes out as LF (a CR at the end of the previous chunk was held back).
        if (i > from) drops.push(i - 1, i);
        ends = 4;
      }

      if (ends !== 4) {
        // The field that ends here (one past the last column is reported with the record's count).
        const check = checks[fieldIndex];
        if (check !== undefined && !inHeader) this.checkField(check, chunk, fieldStart, i, quoted, fieldIndex, recordLine);
        fieldIndex++;
        quoted = false;
        recordHasBytes = true;
        if (ends === 1) {
          state = FIELD_START;
          fieldStart = i + 1;
          continue;
        }
        if (ends === 3) {
          state = CR_SEEN;
          continue;
        }
      }
      // The record that ends here.
      if (fieldIndex !== expected) this.wrongCount(fieldIndex, recordLine);
      records++;
      inHeader = false;
      fieldIndex = 0;
      recordHasBytes = false;
      line++;
      recordLine = line;
      state = FIELD_START;
      fieldStart = i + 1;
      recordStart = i + 1;
      if (records === this.stopAt && this.limitReached()) break;
    }
    // Keep the unfinished part of a checked field for the next chunk.
    if ((state === UNQUOTED || state === QUOTED || state === QUOTE_IN_QUOTED) && checks[fieldIndex] !== undefined && !inHeader) {
      this.fieldParts.push(Buffer.from(chunk.subarray(Math.max(fieldStart, from), n)));
    }
    this.state = state;
    this.fieldIndex = fieldIndex;
    this.recordHasBytes = recordHasBytes;
    this.line = line;
    this.recordLine = recordLine;
    this.records = records;
    this.fieldQuoted = quoted;
    return drops;
  }

  /**
   * Reads, from the start of a field at i, the plain fields that follow (unquoted, ending within
   * the chunk in a delimiter or, the last, a line feed) and checks them, without the state
   * machine, whose per-field branches cost as much as the bytes themselves. Returns where it
   * stopped: the start of a field the state machine must read (a quote, a carriage return, a
   * blank line, a wrong count, the chunk's end), or the end of the sample. A method of its own:
   * V8 optimizes a small function within the first rows (the whole scan takes tens of ms).
   */
  private plainFields(chunk: Buffer, i: number, n: number): number {
    const delimiter = this.delimiter;
    const highest = Math.max(delimiter, QUOTE);
    const last = this.expectedFields - 1;
    const checks = this.checks;
    let fieldIndex = this.fieldIndex;
    let records = this.records;
    let line = this.line;
    let recordLine = this.recordLine;
    for (;;) {
      let k = i;
      let c = 0;
      while (k < n) {
        c = chunk[k]!;
        if (c <= highest && (c === delimiter || c === LF || c === CR || c === QUOTE)) break;
        k++;
      }
      if (k === n) break;
      if (c === delimiter ? fieldIndex === last : c !== LF || fieldIndex !== last || (k === i && fieldIndex === 0)) break;
      const check = checks[fieldIndex];
      if (check !== undefined && k > i && !check.match(chunk, i, k)) this.checkField(check, chunk, i, k, false, fieldIndex, recordLine);
      i = k + 1;
      if (c === delimiter) {
        fieldIndex++;
        continue;
      }
      records++;
      fieldIndex = 0;
      line++;
      recordLine = line;
      if (records === this.stopAt) {
        this.records = records;
        if (this.limitReached()) break;
      }
    }
    this.fieldIndex = fieldIndex;
    this.records = records;
    this.line = line;
    this.recordLine = recordLine;
    return i;
  }

  /** Checks the field [fieldStart, end) (with whatever of it came in earlier chunks). */
  private checkField(check: CsvCheck, chunk: Buffer, fieldStart: number, end: number, quoted: boolean, index: number, line: number): void {
    let bytes: Uint8Array = chunk;
    let start = fieldStart;
    let stop = end;
    if (this.fieldParts.length > 0) {
      bytes = Buffer.concat([...this.fieldParts, chunk.subarray(0, end)]);
      this.fieldParts = [];
      start = 0;
      stop = bytes.length;
    }
    // A quoted value's raw bytes end with the closing quote; doubled quotes stay doubled and so
    // never match a typed pattern, which is right: the value holds a quote.
    if (quoted) stop--;
    if (stop <= start || check.match(bytes, start, stop)) return;
    const value = Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString('utf8');
    if (check.widen) {
      check.widen.observe(value);
      const kind = check.widen.result;
      const match = kindMatcher(kind);
      this.checks[index] = match ? { ...check, match, expected: SQL_TYPE[kind] } : undefined;
      return;
    }
    throw new SeedValueMismatch(this.options.file, line, this.options.columns[index]!, value, check.expected, check.configuredIn);
  }

  /** Worded as csv-parse's errors are (csv-records.ts), whichever finds the row. */
  private wrongCount(got: number, line: number): never {
    const expected = this.expectedFields;
    const detail = got < expected ? `no value for column '${this.options.columns[got]}'` : `a value after the last column '${this.options.columns[expected - 1]}'`;
    return this.fail(`Row has ${got} value${got === 1 ? '' : 's'} but the header has ${expected} columns (${detail})`, line);
  }

  /** At the record count `stopAt`: ends the checks, or (true) the scan. */
  private limitReached(): boolean {
    if (this.stopAt === this.options.limit! + (this.options.header ? 1 : 0)) {
      this.endChecks();
      return false;
    }
    this.stopped = true;
    return true;
  }

  private endChecks(): void {
    this.checks.fill(undefined);
    this.stopAt++;
  }

  private finish(): void {
    if (this.stopped) return;
    const state = this.state;
    if (state === QUOTED) {
      this.fail(`Unterminated quote in column ${this.columnName(this.fieldIndex)}: the quoted value that starts on line ${this.recordLine} never ends`, this.recordLine);
    }
    if (this.fieldIndex === 0 && !this.recordHasBytes) return;
    if (state !== CR_SEEN) {
      // The last field, at the end of the data (its bytes were kept in fieldParts if checked).
      const check = this.checks[this.fieldIndex];
      const inHeader = this.options.header && this.records === 0;
      if (check !== undefined && !inHeader) this.checkField(check, Buffer.alloc(0), 0, 0, this.fieldQuoted, this.fieldIndex, this.recordLine);
      this.fieldIndex++;
    }
    if (this.fieldIndex !== this.expectedFields) this.wrongCount(this.fieldIndex, this.recordLine);
    this.records++;
    if (this.records === this.stopAt) this.limitReached();
  }

  private columnName(index: number): string {
    const name = this.options.columns[index];
    return name === undefined ? `${index + 1}` : `'${name}'`;
  }

  private fail(message: string, line: number): never {
    throw new SeedError(message, { file: this.options.file, line }, 'Quote a value that contains the delimiter, a quote or a line break, and double the quotes inside it: "say ""hi""".');
  }
}
