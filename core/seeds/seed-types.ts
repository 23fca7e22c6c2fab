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

/** What a double matcher found: no number, one without an exponent, one with (which may overflow). */
const NOT_A_NUMBER = 0;
const PLAIN = 1;
const EXPONENT = 2;

/** The kind of [start, end) as a double: NOT_A_NUMBER, PLAIN, or EXPONENT. */
function doubleShape(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return NOT_A_NUMBER;
  if (bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    return after > i + 1 ? exponentShape(bytes, after, end) : NOT_A_NUMBER;
  }
  if (bytes[i] === 0x30) i++;
  else {
    const after = digits(bytes, i, end);
    if (after === i) return NOT_A_NUMBER;
    i = after;
  }
  if (i < end && bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    if (after === i + 1) return NOT_A_NUMBER;
    i = after;
  }
  return exponentShape(bytes, i, end);
}

function looseDoubleShape(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
  if (i >= end) return NOT_A_NUMBER;
  if (bytes[i] === 0x2e) {
    const after = digits(bytes, i + 1, end);
    return after > i + 1 ? exponentShape(bytes, after, end) : NOT_A_NUMBER;
  }
  const after = digits(bytes, i, end);
  if (after === i) return NOT_A_NUMBER;
  i = after;
  if (i < end && bytes[i] === 0x2e) i = digits(bytes, i + 1, end);
  return exponentShape(bytes, i, end);
}

/** After the mantissa, at i: PLAIN at the end, EXPONENT for `[eE][+-]?[0-9]+` to the end. */
function exponentShape(bytes: Uint8Array, i: number, end: number): number {
  if (i === end) return PLAIN;
  return exponentToEnd(bytes, i, end) ? EXPONENT : NOT_A_NUMBER;
}

/** A double matched by its shape is finite unless it has an exponent or 300 digits or more. */
function finiteShape(shape: number, bytes: Uint8Array, start: number, end: number): boolean {
  if (shape === PLAIN && end - start < 300) return true;
  return shape !== NOT_A_NUMBER && Number.isFinite(Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')));
}

/** Case-insensitive comparison with a lower-case ASCII word. */
function word(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if ((bytes[start + i]! | 0x20) !== text.charCodeAt(i)) return false;
  return true;
}

function matchBoolean(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  // Letters only: `| 0x20` lower-cases them (and never turns another byte into one).
  if (n === 4) return (bytes[start]! | 0x20) === 0x74 && (bytes[start + 1]! | 0x20) === 0x72 && (bytes[start + 2]! | 0x20) === 0x75 && (bytes[start + 3]! | 0x20) === 0x65;
  if (n === 5) return (bytes[start]! | 0x20) === 0x66 && (bytes[start + 1]! | 0x20) === 0x61 && (bytes[start + 2]! | 0x20) === 0x6c && (bytes[start + 3]! | 0x20) === 0x73 && (bytes[start + 4]! | 0x20) === 0x65;
  return false;
}

function matchLooseBoolean(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start === 1) {
    const b = bytes[start]!;
    return b === 0x31 || b === 0x30 || 'tfyn'.includes(String.fromCharCode(b | 0x20));
  }
  return matchBoolean(bytes, start, end) || word(bytes, start, end, 'yes') || word(bytes, start, end, 'no');
}

/** Two ASCII digits at i. */
function twoDigitsAt(bytes: Uint8Array, i: number): boolean {
  return isDigit(bytes[i]!) && isDigit(bytes[i + 1]!);
}

/** `[0-9]{4}-[0-9]{2}-[0-9]{2}` at start. */
function datePart(bytes: Uint8Array, start: number): boolean {
  return twoDigitsAt(bytes, start) && twoDigitsAt(bytes, start + 2) && bytes[start + 4] === 0x2d && twoDigitsAt(bytes, start + 5) && bytes[start + 7] === 0x2d && twoDigitsAt(bytes, start + 8);
}

function matchDate(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 10 && datePart(bytes, start);
}

function matchTimestamp(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 10 || !datePart(bytes, start)) return false;
  if (n === 10) return true;
  const separator = bytes[start + 10];
  if (n < 16 || (separator !== 0x20 && separator !== 0x54)) return false;
  if (!twoDigitsAt(bytes, start + 11) || bytes[start + 13] !== 0x3a || !twoDigitsAt(bytes, start + 14)) return false;
  if (n === 16) return true;
  if (n < 19 || bytes[start + 16] !== 0x3a || !twoDigitsAt(bytes, start + 17)) return false;
  if (n === 19) return true;
  if (n < 21 || n > 26 || bytes[start + 19] !== 0x2e) return false;
  return digits(bytes, start + 20, end) === end;
}

/** Digits of [start, end) (after any sign) compared with a limit of the same length, as text. */
function withinDigits(bytes: Uint8Array, start: number, end: number, max: string, min: string): boolean {
  let i = start;
  const negative = bytes[i] === 0x2d;
  if (negative || bytes[i] === 0x2b) i++;
  while (i < end - 1 && bytes[i] === 0x30) i++;
  const limit = negative ? min : max;
  const n = end - i;
  if (n !== limit.length) return n < limit.length;
  for (let k = 0; k < n; k++) {
    const d = bytes[i + k]! - limit.charCodeAt(k);
    if (d !== 0) return d < 0;
  }
  return true;
}

const INT32 = ['2147483647', '2147483648'] as const;
const INT64 = ['9223372036854775807', '9223372036854775808'] as const;

function twoDigits(bytes: Uint8Array, at: number): number {
  return (bytes[at]! - 0x30) * 10 + (bytes[at + 1]! - 0x30);
}

/** Whether the date at start (already matched as [0-9]{4}-[0-9]{2}-[0-9]{2}) is a real date. */
function realDate(bytes: Uint8Array, start: number): boolean {
  const year = twoDigits(bytes, start) * 100 + twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  return month !== 2 || day <= 28 || (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function realTime(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start === 10) return true;
  const second = end - start >= 19 ? twoDigits(bytes, start + 17) : 0;
  return twoDigits(bytes, start + 11) < 24 && twoDigits(bytes, start + 14) < 60 && second < 60;
}

const MATCHERS: Record<'infer' | 'override', Record<SeedKind, ByteMatcher | undefined>> = {
  infer: {
    // Up to 9 characters (18 for bigint) cannot be out of range: most values skip the range check.
    integer: (b, s, e) => matchInteger(b, s, e) && (e - s < 10 || withinDigits(b, s, e, INT32[0], INT32[1])),
    bigint: (b, s, e) => matchInteger(b, s, e) && (e - s < 19 || withinDigits(b, s, e, INT64[0], INT64[1])),
    double: (b, s, e) => finiteShape(doubleShape(b, s, e), b, s, e),
    boolean: matchBoolean,
    date: (b, s, e) => matchDate(b, s, e) && realDate(b, s),
    timestamp: (b, s, e) => matchTimestamp(b, s, e) && realDate(b, s) && realTime(b, s, e),
    text: undefined,
  },
  override: {
    integer: (b, s, e) => matchSignedDigits(b, s, e) && (e - s < 10 || withinDigits(b, s, e, INT32[0], INT32[1])),
    bigint: (b, s, e) => matchSignedDigits(b, s, e) && (e - s < 19 || withinDigits(b, s, e, INT64[0], INT64[1])),
    double: (b, s, e) => finiteShape(looseDoubleShape(b, s, e), b, s, e),
    boolean: matchLooseBoolean,
    date: (b, s, e) => matchDate(b, s, e) && realDate(b, s),
    timestamp: (b, s, e) => matchTimestamp(b, s, e) && realDate(b, s) && realTime(b, s, e),
    text: undefined,
  },
};

/**
 * `fits(kind, value, override)` for the raw bytes of a non-empty value, without making a string:
 * the check run on every value while a file loads. Undefined for text (anything fits).
 */
export function kindMatcher(kind: SeedKind, override = false): ByteMatcher | undefined {
  return MATCHERS[override ? 'override' : 'infer'][kind];
}
