/**
 * A column value as PostgreSQL writes it in text (pgoutput, or a snapshot read in UTC with ISO
 * dates), turned into the JSON value Debezium's PostgreSQL connector sends with the JSON
 * converter, `decimal.handling.mode=string`, `time.precision.mode=adaptive` and
 * `binary.handling.mode=bytes`. The same conversion as Debezium means the change log holds the
 * same events, and core/cdc's typed extraction (epoch days, milli/microseconds) applies as is.
 */

/** What Debezium puts in place of a TOASTed value an update left unchanged and did not send. */
export const UNAVAILABLE_VALUE = '__debezium_unavailable_value';

/** Built-in type OIDs (pg_type.h). */
export const TYPE = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, float4: 700, float8: 701,
  date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, timetz: 1266, numeric: 1700,
} as const;

export interface ColumnType {
  /** The type's OID (a domain's base type, when known). */
  typeOid: number;
  /** atttypmod: the precision of time and timestamp types; -1 when not given. */
  typmod: number;
}

export function debeziumValue(text: string | null, column: ColumnType): unknown {
  if (text === null) return null;
  switch (column.typeOid) {
    case TYPE.bool:
      return text === 't' || text === 'true';
    case TYPE.int2:
    case TYPE.int4:
    case TYPE.oid:
      return Number(text);
    case TYPE.int8: {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case TYPE.float4:
    case TYPE.float8: {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case TYPE.date: {
      const days = epochDays(text);
      return days ?? text;
    }
    case TYPE.time: {
      const micros = timeMicros(text);
      if (micros === undefined) return text;
      return millisecondPrecision(column.typmod) ? Math.floor(micros / 1000) : micros;
    }
    case TYPE.timestamp: {
      const micros = timestampMicros(text);
      if (micros === undefined) return text;
      return millisecondPrecision(column.typmod) ? Math.floor(micros / 1000) : micros;
    }
    case TYPE.timestamptz:
      return zonedTimestamp(text) ?? text;
    case TYPE.timetz:
      return zonedTime(text) ?? text;
    case TYPE.bytea:
      return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex').toString('base64') : text;
    default:
      // numeric (as text: decimal.handling.mode=string), text, varchar, uuid, json, enums, ...
      return text;
  }
}

/** Debezium's adaptive mode: precision 0-3 is milliseconds, 4-6 (or none) microseconds. */
function millisecondPrecision(typmod: number): boolean {
  return typmod >= 0 && typmod <= 3;
}

const DATE = /^(\d{4,})-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const ZONED = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d{1,6})?)\+00$/;
const ZONED_TIME = /^(\d\d):(\d\d):(\d\d)(\.\d{1,6})?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

function utcMs(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

function epochDays(text: string): number | undefined {
  const m = DATE.exec(text);
  return m ? Math.round(utcMs(Number(m[1]), Number(m[2]), Number(m[3])) / 86_400_000) : undefined;
}

function fraction(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(6, '0')) : 0;
}

function timeMicros(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1_000_000 + fraction(m[4]);
}

function timestampMicros(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const seconds = utcMs(Number(m[1]), Number(m[2]), Number(m[3])) / 1000 + (Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6]);
  return seconds * 1_000_000 + fraction(m[7]);
}

/** `2024-01-02 03:04:05.5+00` (the session is in UTC) as `2024-01-02T03:04:05.5Z`. */
function zonedTimestamp(text: string): string | undefined {
  const m = ZONED.exec(text);
  return m ? `${m[1]}T${m[2]}Z` : undefined;
}

/** `10:00:00+02` as Debezium's ZonedTime in UTC: `08:00:00Z`. */
function zonedTime(text: string): string | undefined {
  const m = ZONED_TIME.exec(text);
  if (!m) return undefined;
  const offset = (m[5] === '-' ? -1 : 1) * (Number(m[6]) * 3600 + Number(m[7] ?? 0) * 60 + Number(m[8] ?? 0));
  const seconds = (((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - offset) % 86_400) + 86_400) % 86_400;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}${m[4] ?? ''}Z`;
}
