import pg from 'pg';
import { PG } from './project.js';

/**
 * Real change events from PostgreSQL, in the shape Debezium's PostgreSQL connector gives them:
 * a temporary logical replication slot with the built-in `test_decoding` plugin records what a
 * test does to its tables, and each decoded change becomes a Debezium envelope (with
 * `decimal.handling.mode=string`, `time.precision.mode=adaptive`; optionally wrapped with
 * Kafka Connect's `{schema, payload}` and `decimal.handling.mode=precise`). The initial
 * snapshot is read as Debezium reads it: the rows as of the slot's consistent point, op `r`.
 */

let logicalAvailable: boolean | undefined;

/** Whether the local server can decode (wal_level=logical). In CI a missing setting is a failure, not a skip. */
export async function hasLogicalDecoding(): Promise<boolean> {
  if (logicalAvailable !== undefined) return logicalAvailable;
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  let reason: string | undefined;
  try {
    await client.connect();
    const { rows } = await client.query<{ wal_level: string }>('show wal_level');
    if (rows[0]?.wal_level !== 'logical') reason = `wal_level is '${rows[0]?.wal_level}', not 'logical' (.ci/run sets it)`;
  } catch (error) {
    reason = `PostgreSQL is not reachable at ${PG.host}:${PG.port}/${PG.database}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
  if (reason && process.env.CI) throw new Error(`CI requires logical decoding for the CDC tests: ${reason}`);
  if (reason) console.warn(`\n*** ${reason}: the CDC tests on real change events are SKIPPED ***\n`);
  logicalAvailable = reason === undefined;
  return logicalAvailable;
}

export type DebeziumEvent = Record<string, unknown> | null;

export interface ColumnType {
  name: string;
  type: string;
}

/** A session on the source database with a temporary slot: everything done through it (or anyone) afterwards is captured. */
export class ChangeCapture {
  private constructor(readonly client: pg.Client, readonly slot: string, readonly consistentLsn: string, readonly schema: string) {}

  /** Opens a session and creates the slot; `schema` limits what is kept to the test's own tables. */
  static async start(schema: string): Promise<ChangeCapture> {
    const client = new pg.Client(PG);
    await client.connect();
    const slot = `smelt_test_${Math.random().toString(36).slice(2, 10)}`;
    const { rows } = await client.query<{ lsn: string }>(`select lsn::text as lsn from pg_create_logical_replication_slot($1, 'test_decoding', true)`, [slot]);
    return new ChangeCapture(client, slot, rows[0]!.lsn, schema);
  }

  /**
   * Debezium's initial snapshot of a table: every row as of the consistent point, op `r`.
   * (The rows were written before the slot existed, so decoding never sees them.)
   */
  async snapshot(table: string, key: string[]): Promise<DebeziumEvent[]> {
    const columns = await this.columns(table);
    const { rows } = await this.client.query(`select ${columns.map((c) => `${quote(c.name)}::text as ${quote(c.name)}`).join(', ')} from ${quote(this.schema)}.${quote(table)} order by ${key.map(quote).join(', ')}`);
    const now = Date.now();
    return rows.map((row, i) => envelope({
      op: 'r',
      after: Object.fromEntries(columns.map((c) => [c.name, convert(row[c.name] as string | null, c.type)])),
      before: null,
      table,
      schema: this.schema,
      lsn: lsnNumber(this.consistentLsn),
      txId: null,
      commitMs: now,
      snapshot: i === rows.length - 1 ? 'last' : i === 0 ? 'first' : 'true',
    }));
  }

  /** Decodes and consumes everything committed since the last call, as Debezium events (tombstones after deletes included). */
  async changes(options: { wrap?: boolean } = {}): Promise<DebeziumEvent[]> {
    const { rows } = await this.client.query<{ lsn: string; xid: string; data: string }>(
      // Other tests write to this database at the same time: only this schema's changes (and
      // the commits, which close each transaction) are sent back.
      `select lsn::text as lsn, xid::text as xid, data from pg_logical_slot_get_changes($1, null, null, 'include-timestamp', 'on', 'skip-empty-xacts', '1')
        where data like 'COMMIT%' or data like $2`,
      [this.slot, `table ${this.schema}.%`],
    );
    const events: DebeziumEvent[] = [];
    let pending: ParsedChange[] = [];
    for (const row of rows) {
      if (row.data.startsWith('BEGIN')) {
        pending = [];
      } else if (row.data.startsWith('COMMIT')) {
        const at = /\(at (.+)\)/.exec(row.data)?.[1];
        const commitMs = at ? Date.parse(at.replace(' ', 'T').replace(/\+00$/, 'Z')) : Date.now();
        for (const change of pending) events.push(...(await this.toDebezium(change, Number(row.xid), commitMs, options.wrap ?? false)));
        pending = [];
      } else {
        const change = parseChange(row.data, row.lsn);
        if (change && change.schema === this.schema) pending.push(change);
      }
    }
    return events;
  }

  async stop(): Promise<void> {
    await this.client.end();
  }

  private readonly columnCache = new Map<string, ColumnType[]>();
  private readonly keyCache = new Map<string, string[]>();

  private async primaryKey(table: string): Promise<string[]> {
    const cached = this.keyCache.get(table);
    if (cached) return cached;
    const { rows } = await this.client.query<{ name: string }>(
      `select a.attname as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`,
      [`${quote(this.schema)}.${quote(table)}`],
    );
    const key = rows.map((r) => r.name);
    this.keyCache.set(table, key);
    return key;
  }

  private async columns(table: string): Promise<ColumnType[]> {
    const cached = this.columnCache.get(table);
    if (cached) return cached;
    const { rows } = await this.client.query<ColumnType>(
      `select a.attname as name, format_type(a.atttypid, null) as type from pg_attribute a
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [`${quote(this.schema)}.${quote(table)}`],
    );
    this.columnCache.set(table, rows);
    return rows;
  }

  private async toDebezium(change: ParsedChange, xid: number, commitMs: number, wrap: boolean): Promise<DebeziumEvent[]> {
    const columns = await this.columns(change.table);
    const image = (values: Map<string, string | null> | undefined): Record<string, unknown> | null => {
      if (!values) return null;
      // Debezium sends every column; those the decoder did not give (old key only) are null.
      return Object.fromEntries(columns.map((c) => [c.name, values.has(c.name) ? convert(values.get(c.name)!, c.type, wrap) : null]));
    };
    const base = { table: change.table, schema: change.schema, lsn: lsnNumber(change.lsn), txId: xid, commitMs, snapshot: 'false' };
    const make = (op: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null) =>
      wrap ? wrapped(envelope({ ...base, op, before, after }) as Record<string, unknown>, columns) : envelope({ ...base, op, before, after });
    switch (change.kind) {
      case 'INSERT':
        return [make('c', null, image(change.tuple))];
      case 'UPDATE':
        // A changed primary key: Debezium sends a delete of the old key (and its tombstone), then a create.
        if (change.oldKey && !sameKey(await this.primaryKey(change.table), change.oldKey, change.tuple!)) return [make('d', image(change.oldKey), null), null, make('c', null, image(change.tuple))];
        return [make('u', change.oldKey ? image(change.oldKey) : null, image(change.tuple))];
      case 'DELETE':
        return [make('d', image(change.tuple), null), null];
      case 'TRUNCATE':
        return [make('t', null, null)];
    }
  }
}

interface ParsedChange {
  lsn: string;
  schema: string;
  table: string;
  kind: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
  tuple?: Map<string, string | null>;
  oldKey?: Map<string, string | null>;
}

/** `table public.t: UPDATE: old-key: id[integer]:2 new-tuple: id[integer]:20 name[text]:'it''s'`. */
export function parseChange(data: string, lsn: string): ParsedChange | undefined {
  const head = /^table ((?:"(?:[^"]|"")+"|[^.]+))\.((?:"(?:[^"]|"")+"|[^:]+)): (INSERT|UPDATE|DELETE|TRUNCATE):\s?/.exec(data);
  if (!head) return undefined;
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s);
  const change: ParsedChange = { lsn, schema: unquote(head[1]!), table: unquote(head[2]!), kind: head[3] as ParsedChange['kind'] };
  let rest = data.slice(head[0].length);
  if (change.kind === 'TRUNCATE' || rest.startsWith('(no-tuple-data)')) return change;
  if (rest.startsWith('old-key: ')) {
    const split = rest.indexOf(' new-tuple: ');
    change.oldKey = parseTuple(rest.slice('old-key: '.length, split));
    rest = rest.slice(split + ' new-tuple: '.length);
  }
  change.tuple = parseTuple(rest);
  return change;
}

function parseTuple(text: string): Map<string, string | null> {
  const values = new Map<string, string | null>();
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    let name = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') (name += '"'), (i += 2);
        else if (text[i] === '"') {
          i++;
          break;
        } else name += text[i++];
      }
    } else {
      while (text[i] !== '[') name += text[i++];
    }
    const typeEnd = text.indexOf(']:', i);
    i = typeEnd + 2;
    if (text[i] === "'") {
      let value = '';
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") (value += "'"), (i += 2);
        else if (text[i] === "'") {
          i++;
          break;
        } else value += text[i++];
      }
      values.set(name, value);
    } else {
      let token = '';
      while (i < text.length && text[i] !== ' ') token += text[i++];
      values.set(name, token === 'null' ? null : token);
    }
  }
  return values;
}

function sameKey(key: string[], oldKey: Map<string, string | null>, tuple: Map<string, string | null>): boolean {
  return key.every((name) => oldKey.get(name) === tuple.get(name));
}

/** A text value from PostgreSQL as Debezium's JSON converter sends it. */
function convert(text: string | null, type: string, precise = false): unknown {
  if (text === null) return null;
  switch (type) {
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'real':
    case 'double precision':
      return Number(text);
    case 'boolean':
      return text === 'true' || text === 't';
    case 'numeric':
      if (!precise) return text;
      return { scale: text.includes('.') ? text.split('.')[1]!.length : 0, value: encodeUnscaled(BigInt(text.replace('.', ''))) };
    case 'date':
      return Math.round(Date.parse(`${text}T00:00:00Z`) / 86_400_000);
    case 'timestamp without time zone': {
      const [date, time = '00:00:00'] = text.split(' ');
      const [whole, fraction = ''] = time.split('.');
      return Date.parse(`${date}T${whole}Z`) * 1000 + Number(fraction.padEnd(6, '0'));
    }
    case 'timestamp with time zone':
      return new Date(Date.parse(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'))).toISOString();
    default:
      return text;
  }
}

function encodeUnscaled(value: bigint): string {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v !== 0n && v !== -1n);
  if (value >= 0n && bytes[0]! & 0x80) bytes.unshift(0);
  if (value < 0n && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return Buffer.from(bytes).toString('base64');
}

interface EnvelopeInput {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  schema: string;
  table: string;
  lsn: number;
  txId: number | null;
  commitMs: number;
  snapshot: string;
}

function envelope(e: EnvelopeInput): DebeziumEvent {
  return {
    before: e.before,
    after: e.after,
    source: {
      version: '2.5.0.Final', connector: 'postgresql', name: 'smelt_test', ts_ms: e.commitMs, snapshot: e.snapshot, db: PG.database,
      sequence: JSON.stringify([null, String(e.lsn)]), schema: e.schema, table: e.table, txId: e.txId, lsn: e.lsn, xmin: null,
    },
    op: e.op,
    ts_ms: e.commitMs + 5,
    transaction: null,
  };
}

/** Kafka Connect's JSON converter with schemas: the payload, and a schema naming Debezium's logical types. */
function wrapped(payload: Record<string, unknown>, columns: ColumnType[]): DebeziumEvent {
  const field = (c: ColumnType) => {
    const f = (type: string, name?: string) => ({ type, optional: true, field: c.name, ...(name ? { name, version: 1 } : {}) });
    switch (c.type) {
      case 'smallint': return f('int16');
      case 'integer': return f('int32');
      case 'bigint': return f('int64');
      case 'boolean': return f('boolean');
      case 'real': return f('float');
      case 'double precision': return f('double');
      case 'numeric': return { ...f('struct', 'io.debezium.data.VariableScaleDecimal'), fields: [{ type: 'int32', optional: false, field: 'scale' }, { type: 'bytes', optional: false, field: 'value' }] };
      case 'date': return f('int32', 'io.debezium.time.Date');
      case 'timestamp without time zone': return f('int64', 'io.debezium.time.MicroTimestamp');
      case 'timestamp with time zone': return f('string', 'io.debezium.time.ZonedTimestamp');
      default: return f('string');
    }
  };
  const row = { type: 'struct', optional: true, name: 'smelt_test.Value', fields: columns.map(field) };
  return {
    schema: {
      type: 'struct', optional: false, name: 'smelt_test.Envelope', version: 1,
      fields: [{ ...row, field: 'before' }, { ...row, field: 'after' }, { type: 'struct', optional: false, field: 'source', name: 'io.debezium.connector.postgresql.Source', fields: [] }, { type: 'string', optional: false, field: 'op' }, { type: 'int64', optional: true, field: 'ts_ms' }],
    },
    payload,
  };
}

function lsnNumber(lsn: string): number {
  const [high, low] = lsn.split('/');
  return Number((BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`));
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** NDJSON text of events (a tombstone is the line `null`). */
export function ndjson(events: DebeziumEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
