/**
 * The types a seed column can be inferred as, and the exact text each one accepts. The same
 * rules run in JavaScript (sample inference, diagnosis, the byte checker) and, as patterns, in
 * DuckDB, so a file gets the same column types on every database.
 *
 * Kinds form a small lattice: integer < bigint < double, date < timestamp, boolean; any two
 * kinds from different families join to text. An empty field is NULL and fits every kind.
 */
export type SeedKind = 'integer' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp' | 'text';

/** SQL type names that mean the same on DuckDB and PostgreSQL. */
export const SQL_TYPE: Record<SeedKind, string> = {
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  text: 'text',
};

// Patterns are written in the common subset of JavaScript and RE2 (DuckDB) syntax and always
// match a whole value. No leading zeros on integers: "007" and "01234" are codes, kept as text.
const INTEGER = '-?(?:0|[1-9][0-9]*)';
const DOUBLE = '-?(?:(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?';
const BOOLEAN = '(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])';
const DATE = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
const TIMESTAMP = `${DATE}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,6})?)?)?`;

/**
 * What a value must look like to be inferred as (or, for a wider kind, to fit) each kind.
 * `undefined`: anything goes.
 */
export const INFER_PATTERN: Record<SeedKind, string | undefined> = {
  integer: INTEGER,
  bigint: INTEGER,
  double: DOUBLE,
  boolean: BOOLEAN,
  date: DATE,
  timestamp: TIMESTAMP,
  text: undefined,
};

/**
 * An explicit `column_types` entry also accepts spellings both databases read the same way:
 * a sign or leading zeros on integers, and t/f, yes/no, y/n, 1/0 for booleans.
 */
export const OVERRIDE_PATTERN: Record<SeedKind, string | undefined> = {
  ...INFER_PATTERN,
  integer: '[+-]?[0-9]+',
  bigint: '[+-]?[0-9]+',
  double: '[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?',
  boolean: '(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[TtFfYyNn10]|[Yy][Ee][Ss]|[Nn][Oo])',
};

const compiled = new Map<string, RegExp>();
/** The pattern as an anchored JavaScript RegExp (cached). */
export function fullMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

const INT32_MAX = 2_147_483_647;
const INT64_MAX = 9_223_372_036_854_775_807n;

function integerFits(value: string, max: bigint | number): boolean {
  const digits = value.replace(/^[+-]?0*/, '');
  if (digits.length <= 15) {
    const n = Math.abs(Number(value));
    return typeof max === 'number' ? n <= max + (value.startsWith('-') ? 1 : 0) : true;
  }
  if (digits.length > 19) return false;
  const n = BigInt(value.startsWith('+') ? value.slice(1) : value);
  const limit = BigInt(max);
  return n <= limit && n >= -limit - 1n;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function dateFits(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month !== 2 || day <= 28 || leap;
}

function timeFits(value: string): boolean {
  if (value.length === 10) return true;
  const hour = Number(value.slice(11, 13));
  const minute = Number(value.slice(14, 16));
  const second = value.length >= 19 ? Number(value.slice(17, 19)) : 0;
  return hour < 24 && minute < 60 && second < 60;
}

/**
 * Whether a non-empty value is a valid `kind`: its pattern plus the checks a pattern cannot
 * make (integer ranges, real calendar dates, finite doubles).
 */
export function fits(kind: SeedKind, value: string, override = false): boolean {
  const pattern = (override ? OVERRIDE_PATTERN : INFER_PATTERN)[kind];
  if (pattern === undefined) return true;
  if (!fullMatch(pattern).test(value)) return false;
  switch (kind) {
    case 'integer':
      return integerFits(value, INT32_MAX);
    case 'bigint':
      return integerFits(value, INT64_MAX);
    case 'double':
      return Number.isFinite(Number(value));
    case 'date':
      return dateFits(value);
    case 'timestamp':
      return dateFits(value) && timeFits(value);
    default:
      return true;
  }
}

const ORDER: readonly SeedKind[] = ['integer', 'bigint', 'double', 'boolean', 'date', 'timestamp'];

/** The narrowest kind a non-empty value fits. */
export function kindOf(value: string): SeedKind {
  for (const kind of ORDER) if (fits(kind, value)) return kind;
  return 'text';
}

const FAMILY: Record<SeedKind, { family: string; rank: number }> = {
  integer: { family: 'number', rank: 0 },
  bigint: { family: 'number', rank: 1 },
  double: { family: 'number', rank: 2 },
  boolean: { family: 'boolean', rank: 0 },
  date: { family: 'time', rank: 0 },
  timestamp: { family: 'time', rank: 1 },
  text: { family: 'text', rank: 0 },
};

/** The narrowest kind both a and b fit in. */
export function join(a: SeedKind, b: SeedKind): SeedKind {
  if (a === b) return a;
  const fa = FAMILY[a];
  const fb = FAMILY[b];
  if (fa.family !== fb.family) return 'text';
  return fa.rank >= fb.rank ? a : b;
}

/**
 * Running inference over the values of one column. `undefined` until a non-empty value is seen;
 * a column with no values at all is text.
 */
export class ColumnInference {
  kind: SeedKind | undefined;

  observe(value: string): void {
    if (value === '') return;
    const current = this.kind;
    if (current === 'text') return;
    if (current !== undefined && fits(current, value)) return;
    const own = kindOf(value);
    this.kind = current === undefined ? own : join(current, own);
  }

  get result(): SeedKind {
    return this.kind ?? 'text';
  }
}

/** A column's type as configured in `column_types`. */
export interface ColumnTypeOverride {
  /** As written by the user; goes into the DDL verbatim for types smelt does not know. */
  sql: string;
  /** Set when smelt knows the type and checks values itself. */
  kind?: SeedKind;
}

const KNOWN_TYPES: Record<string, SeedKind> = {
  integer: 'integer', int: 'integer', int4: 'integer', signed: 'integer',
  bigint: 'bigint', int8: 'bigint', long: 'bigint',
  double: 'double', 'double precision': 'double', float8: 'double', float: 'double',
  boolean: 'boolean', bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp', 'timestamp without time zone': 'timestamp', datetime: 'timestamp',
  text: 'text', varchar: 'text', string: 'text', 'character varying': 'text',
};

/**
 * A type name, optional size or precision, optional array brackets: enough for any real column
 * type, and nothing that could end the DDL statement it is placed in.
 */
const SAFE_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*(?: ?\( *[0-9]+ *(?:, *[0-9]+ *)?\))?(?:\[\])?$/;

/** Parses a `column_types` value; undefined when it is not a plausible SQL type. */
export function parseTypeOverride(value: string): ColumnTypeOverride | undefined {
  const sql = value.trim().replace(/\s+/g, ' ');
  if (!SAFE_TYPE.test(sql)) return undefined;
  const kind = KNOWN_TYPES[sql.toLowerCase()];
  return kind ? { sql: SQL_TYPE[kind], kind } : { sql };
}

/** Tests bytes [start, end) of a buffer against a pattern without making a string: for hot loops. */
export type ByteMatcher = (bytes: Uint8Array, start: number, end: number) => boolean;

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/** Index after a run of digits starting at i. */
function digits(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && isDigit(bytes[i]!)) i++;
  return i;
}

/** `[eE][+-]?[0-9]+` at i, to the end; true when there is no exponent either. */
function exponentToEnd(bytes: Uint8Array, i: number, end: number): boolean {
  if (i === end) return true;
  if ((bytes[i]! | 0x20) !== 0x65) return false;
  i++;
  if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
  const after = digits(bytes, i, end);
  return after > i && after === end;
}

function matchInteger(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return false;
  if (bytes[i] === 0x30) return i + 1 === end;
  return digits(bytes, i, end) === end;
}

function matchSignedDigits(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
  return i < end && digits(bytes, i, end) === end;
}

function matchDouble(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return false;
  if (bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    return after > i + 1 && exponentToEnd(bytes, after, end);
  }
  if (bytes[i] === 0x30) i++;
  else {
    const after = digits(bytes, i, end);
    if (after === i) return false;
    i = after;
  }
  if (i < end && bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    if (after === i + 1) return false;
    i = after;
  }
  return exponentToEnd(bytes, i, end);
}

function matchLooseDouble(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
  if (i >= end) return false;
  if (bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    return after > i + 1 && exponentToEnd(bytes, after, end);
  }
  const after = digits(bytes, i, end);
  if (after === i) return false;
  i = after;
  if (i < end && bytes[i] === 0x2e) i = digits(bytes, i + 1, end);
  return exponentToEnd(bytes, i, end);
}

/** Case-insensitive comparison with a lower-case ASCII word. */
function word(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if ((bytes[start + i]! | 0x20) !== text.charCodeAt(i)) return false;
  return true;
}

function matchBoolean(bytes: Uint8Array, start: number, end: number): boolean {
  return word(bytes, start, end, 'true') || word(bytes, start, end, 'false');
}

function matchLooseBoolean(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start === 1) {
    const b = bytes[start]!;
    return b === 0x31 || b === 0x30 || 'tfyn'.includes(String.fromCharCode(b | 0x20));
  }
  return matchBoolean(bytes, start, end) || word(bytes, start, end, 'yes') || word(bytes, start, end, 'no');
}

/** `[0-9]{4}-[0-9]{2}-[0-9]{2}` at start. */
function datePart(bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < 10; i++) {
    const b = bytes[start + i]!;
    if (i === 4 || i === 7 ? b !== 0x2d : !isDigit(b)) return false;
  }
  return true;
}

function matchDate(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 10 && datePart(bytes, start);
}

function matchTimestamp(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 10 || !datePart(bytes, start)) return false;
  if (n === 10) return true;
  if (n < 16 || (bytes[start + 10] !== 0x20 && bytes[start + 10] !== 0x54)) return false;
  const two = (at: number): boolean => isDigit(bytes[start + at]!) && isDigit(bytes[start + at + 1]!);
  if (!two(11) || bytes[start + 13] !== 0x3a || !two(14)) return false;
  if (n === 16) return true;
  if (n < 19 || bytes[start + 16] !== 0x3a || !two(17)) return false;
  if (n === 19) return true;
  if (n < 21 || n > 26 || bytes[start + 19] !== 0x2e) return false;
  return digits(bytes, start + 20, end) === end;
}

const MATCHERS = new Map<string, ByteMatcher>([
  [INTEGER, matchInteger],
  [OVERRIDE_PATTERN.integer!, matchSignedDigits],
  [DOUBLE, matchDouble],
  [OVERRIDE_PATTERN.double!, matchLooseDouble],
  [BOOLEAN, matchBoolean],
  [OVERRIDE_PATTERN.boolean!, matchLooseBoolean],
  [DATE, matchDate],
  [TIMESTAMP, matchTimestamp],
]);

/** The byte matcher for a pattern: hand-written for smelt's own patterns, else the RegExp on latin1 text. */
export function byteMatcher(pattern: string): ByteMatcher {
  const known = MATCHERS.get(pattern);
  if (known) return known;
  const re = fullMatch(pattern);
  return (bytes, start, end) => re.test(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
}
