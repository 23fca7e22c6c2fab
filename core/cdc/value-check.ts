/**
 * Whether a change event's values can be read as the types their columns declare, the way the
 * change log and the cdc models read them (json-sql.ts typedField: dates and timestamps as
 * text or as numbers since the epoch, everything else cast from its text). Checked when the
 * event is loaded, so a value no model could read is a malformed event at its file and line
 * (or quarantined), not a model that fails on every run after. Only types whose text smelt can
 * judge the same way both databases do are checked (undefined for any other). Built once per
 * column, then run on every event: the check answers what a value should have been, or
 * undefined when it reads.
 */
export function valueCheck(dataType: string): ((value: unknown) => string | undefined) | undefined {
  const type = dataType.trim().toLowerCase().replace(/\s+/g, ' ');
  const check = (reads: (value: unknown) => boolean, expected: string) => (value: unknown) => (value === null || value === undefined || reads(value) ? undefined : expected);
  const text = (value: unknown, pattern: RegExp) => typeof value === 'string' && pattern.test(value.trim());
  const integer = INTEGER_RANGE[type];
  if (integer !== undefined) return check((v) => readsAsInteger(v, integer), 'a whole number in its range');
  if (/^(numeric|decimal)( ?\(\s*\d+\s*(,\s*\d+\s*)?\))?$|^(real|float4?|float8|double( precision)?)$/.test(type)) {
    return check((v) => (typeof v === 'number' && Number.isFinite(v)) || text(v, NUMBER), 'a number');
  }
  if (type === 'date') return check((v) => isWholeNumber(v) || text(v, TIMESTAMP) || text(v, SPECIAL), 'a date (YYYY-MM-DD, or days since 1970-01-01)');
  if (/^(timestamptz|timestamp( ?\(\d+\))?( with(out)? time zone)?|datetime)$/.test(type)) {
    return check((v) => isWholeNumber(v) || text(v, TIMESTAMP) || text(v, SPECIAL), 'a timestamp (ISO 8601, or milli- or microseconds since 1970)');
  }
  if (type === 'boolean' || type === 'bool') return check((v) => typeof v === 'boolean' || v === 0 || v === 1 || text(v, BOOLEAN), 'true or false');
  return undefined;
}

/** valueCheck for one value: what it should have been, or undefined when it reads. */
export function unreadableValue(value: unknown, dataType: string): string | undefined {
  return valueCheck(dataType)?.(value);
}

const INTEGER_RANGE: Record<string, bigint> = {
  smallint: 2n ** 15n, int2: 2n ** 15n,
  integer: 2n ** 31n, int: 2n ** 31n, int4: 2n ** 31n,
  bigint: 2n ** 63n, int8: 2n ** 63n,
};

function readsAsInteger(value: unknown, limit: bigint): boolean {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return false;
    // A JSON number was rounded to a double on parsing (9223372036854775807 reads as 2^63),
    // while the database reads its text: only clearly past the range is refused.
    n = BigInt(value);
    return n >= -limit && n <= limit;
  } else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) {
    n = BigInt(value.trim());
  } else {
    return false;
  }
  return n >= -limit && n < limit;
}

function isWholeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$/i;
// A date, then optionally a time, fractions, and a zone (Z, an offset, or a zone name); both
// databases read such text as a date too.
const TIMESTAMP = /^\d{4,}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{1,2}(:?\d{2})?|[A-Za-z][A-Za-z_/+-]*)?$/;
const SPECIAL = /^(-?infinity|epoch)$/i;
const BOOLEAN = /^(t|f|true|false|y|n|yes|no|1|0)$/i;
