import { createHash } from 'node:crypto';

/**
 * Debezium's change-event envelope, as its JSON converter writes it (with or without Kafka
 * Connect's `{schema, payload}` wrapper):
 *
 *   { "before": {...} | null, "after": {...} | null,
 *     "source": { "ts_ms", "lsn", "txId", "snapshot", "schema" | "db", "table", ... },
 *     "op": "c" | "u" | "d" | "r" | "t", "ts_ms": 1700000000000 }
 *
 * A `null` value (Kafka's tombstone after a delete) is accepted and skipped. A primary-key
 * update arrives as a delete of the old key and a create of the new one.
 */
export type ChangeOp = 'c' | 'u' | 'd' | 'r' | 't';

export const CHANGE_OPS: readonly ChangeOp[] = ['c', 'u', 'd', 'r', 't'];

export interface ChangeEvent {
  op: ChangeOp;
  /** Primary-key values in the configured order; null for a truncate. */
  key: unknown[] | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** source.lsn: the position in the source's log (orders events). */
  lsn: number | null;
  /** Top-level ts_ms: when the connector processed the event. */
  tsMs: number | null;
  /** source.ts_ms: when the change was committed in the source database. */
  sourceTsMs: number | null;
  txId: number | null;
  /** Read by the connector's initial snapshot (op r, or source.snapshot true/first/last). */
  snapshot: boolean;
  /** `schema.table` (or `db.table`) from source. */
  table: string | null;
}

export type EnvelopeResult =
  | { kind: 'event'; event: ChangeEvent }
  | { kind: 'tombstone' }
  /** Well-formed, but not for this source (another table, a logical-decoding message). */
  | { kind: 'skipped'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface EnvelopeOptions {
  primaryKey: readonly string[];
  /** Keep only events whose source table is this (`table` or `schema.table`). */
  table?: string;
}

/** Reads one parsed JSON value as a Debezium change event. Never throws. */
export function readEnvelope(value: unknown, options: EnvelopeOptions): EnvelopeResult {
  if (value === null) return { kind: 'tombstone' };
  if (!isRecord(value)) return { kind: 'invalid', reason: `not a change event: expected a JSON object, got ${describe(value)}` };
  let envelope: Record<string, unknown> = value;
  let schema: ConnectSchema | undefined;
  if ('payload' in value && !('op' in value)) {
    // Kafka Connect's JSON converter with schemas.enable=true.
    if (value.payload === null) return { kind: 'tombstone' };
    if (!isRecord(value.payload)) return { kind: 'invalid', reason: `'payload' must be an object, got ${describe(value.payload)}` };
    envelope = value.payload;
    schema = isRecord(value.schema) ? (value.schema as ConnectSchema) : undefined;
  }
  const op = envelope.op;
  if (op === undefined) return { kind: 'invalid', reason: "not a Debezium change event: no 'op' field" };
  if (op === 'm') return { kind: 'skipped', reason: 'logical decoding message' };
  if (typeof op !== 'string' || !CHANGE_OPS.includes(op as ChangeOp)) {
    return { kind: 'invalid', reason: `unknown op ${JSON.stringify(op)} (expected one of ${CHANGE_OPS.join(', ')})` };
  }
  const source = envelope.source === undefined || envelope.source === null ? {} : envelope.source;
  if (!isRecord(source)) return { kind: 'invalid', reason: `'source' must be an object, got ${describe(source)}` };

  const table = sourceTable(source);
  if (options.table && table && !matchesTable(table, options.table)) return { kind: 'skipped', reason: `event for table ${table}` };

  const rows: Record<'before' | 'after', Record<string, unknown> | null> = { before: null, after: null };
  for (const side of ['before', 'after'] as const) {
    const row = envelope[side];
    if (row === undefined || row === null) continue;
    if (!isRecord(row)) return { kind: 'invalid', reason: `'${side}' must be an object or null, got ${describe(row)}` };
    rows[side] = schema ? normalizeRow(row, fieldSchema(schema, side)) : row;
  }
  const numbers: Record<string, number | null> = {};
  for (const [name, raw] of [['lsn', source.lsn], ['ts_ms', envelope.ts_ms], ['source.ts_ms', source.ts_ms], ['txId', source.txId]] as const) {
    const parsed = integer(raw);
    if (parsed === undefined) return { kind: 'invalid', reason: `'${name}' must be a whole number, got ${describe(raw)}` };
    numbers[name] = parsed;
  }

  let key: unknown[] | null = null;
  if (op !== 't') {
    const row = op === 'd' ? rows.before : rows.after;
    if (!row) return { kind: 'invalid', reason: op === 'd' ? "a delete ('d') without 'before': the key cannot be known (is the table's REPLICA IDENTITY NOTHING?)" : `op '${op}' without 'after'` };
    key = [];
    for (const column of options.primaryKey) {
      const v = row[column];
      if (v === undefined) return { kind: 'invalid', reason: `primary key column '${column}' is missing from '${op === 'd' ? 'before' : 'after'}'` };
      if (v === null) return { kind: 'invalid', reason: `primary key column '${column}' is null` };
      key.push(v);
    }
  }

  const snapshotFlag = source.snapshot;
  return {
    kind: 'event',
    event: {
      op: op as ChangeOp,
      key,
      before: rows.before,
      after: rows.after,
      lsn: numbers.lsn!,
      tsMs: numbers.ts_ms!,
      sourceTsMs: numbers['source.ts_ms']!,
      txId: numbers.txId!,
      snapshot: op === 'r' || (snapshotFlag !== undefined && snapshotFlag !== null && snapshotFlag !== false && snapshotFlag !== 'false'),
      table,
    },
  };
}

/**
 * What makes an event the same event when it is delivered twice (Kafka is at-least-once): its
 * place in the source's log and its content. The top-level ts_ms is left out: a connector that
 * re-sends an event after a restart stamps it with a new processing time.
 */
export function eventId(event: ChangeEvent): string {
  const identity = [event.table, event.op, event.lsn, event.sourceTsMs, event.txId, event.key, event.before, event.after];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

function sourceTable(source: Record<string, unknown>): string | null {
  const table = typeof source.table === 'string' ? source.table : null;
  if (!table) return null;
  const schema = typeof source.schema === 'string' ? source.schema : typeof source.db === 'string' ? source.db : null;
  return schema ? `${schema}.${table}` : table;
}

function matchesTable(actual: string, wanted: string): boolean {
  return wanted.includes('.') ? actual === wanted : actual.split('.').pop() === wanted;
}

/** A whole number from a JSON number or a string of digits; null when absent; undefined when invalid. */
function integer(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const text = JSON.stringify(value);
  return `${typeof value} ${text && text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

// ---------------------------------------------------------------------------------------------
// Kafka Connect schemas: with the wrapper, logical types are known exactly and are turned into
// the plain JSON values a warehouse casts directly (dates and timestamps as ISO text, decimals
// as numeric text). Without it, values are kept as sent and the SQL that extracts typed columns
// reads epoch numbers for date and timestamp columns (see json-sql.ts).

interface ConnectSchema {
  type?: string;
  name?: string;
  field?: string;
  fields?: ConnectSchema[];
  parameters?: Record<string, string>;
}

function fieldSchema(schema: ConnectSchema, name: string): Map<string, ConnectSchema> {
  const struct = schema.fields?.find((f) => f.field === name);
  return new Map((struct?.fields ?? []).filter((f) => typeof f.field === 'string').map((f) => [f.field!, f]));
}

function normalizeRow(row: Record<string, unknown>, fields: Map<string, ConnectSchema>): Record<string, unknown> {
  if (fields.size === 0) return row;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    const field = fields.get(name);
    out[name] = field?.name && value !== null && value !== undefined ? logicalValue(value, field) : value;
  }
  return out;
}

const DAY_MS = 86_400_000;

export function logicalValue(value: unknown, field: ConnectSchema): unknown {
  switch (field.name) {
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return typeof value === 'number' ? new Date(value * DAY_MS).toISOString().slice(0, 10) : value;
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return typeof value === 'number' ? isoTimestamp(BigInt(Math.trunc(value)) * 1000n) : value;
    case 'io.debezium.time.MicroTimestamp':
      return typeof value === 'number' ? isoTimestamp(BigInt(Math.trunc(value))) : value;
    case 'io.debezium.time.NanoTimestamp':
      return typeof value === 'number' ? isoTimestamp(BigInt(Math.trunc(value / 1000))) : value;
    case 'io.debezium.time.MicroTime':
      return typeof value === 'number' ? timeOfDay(value) : value;
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return typeof value === 'number' ? timeOfDay(value * 1000) : value;
    case 'org.apache.kafka.connect.data.Decimal':
      return typeof value === 'string' ? decodeDecimal(value, Number(field.parameters?.scale ?? 0)) : value;
    case 'io.debezium.data.VariableScaleDecimal':
      return isRecord(value) && typeof value.value === 'string' ? decodeDecimal(value.value, Number(value.scale ?? 0)) : value;
    default:
      return value;
  }
}

/** Microseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone: a timestamp). */
function isoTimestamp(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${rest.toString().padStart(6, '0')}`;
}

function timeOfDay(micros: number): string {
  const seconds = Math.floor(micros / 1e6);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}.${String(Math.round(micros % 1e6)).padStart(6, '0')}`;
}

/** Kafka Connect's Decimal: a big-endian two's-complement unscaled integer, base64-encoded. */
export function decodeDecimal(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return '0';
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if (bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}
