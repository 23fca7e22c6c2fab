import type { ReplicationSource } from '../adapters/replication.js';
import { ConfigError, DatabaseError, SmeltErrors, type SmeltError } from '../errors.js';
import type { CaptureGroup, CapturedSource } from './capture-config.js';

/** A captured table as the operational database has it. */
export interface TableInfo {
  schema: string;
  table: string;
  /** Columns pgoutput sends (not generated ones), in order. */
  columns: { name: string; typeOid: number; typmod: number; baseOid: number }[];
  /** d default, n nothing, f full, i index. */
  replicaIdentity: string;
}

export interface SlotInfo {
  plugin: string | null;
  slotType: string;
  database: string | null;
  activePid: number | null;
  confirmedFlush: string | null;
  restartLsn: string | null;
  walStatus: string | null;
}

const IDENTITY = { d: 'DEFAULT', n: 'NOTHING', f: 'FULL', i: 'USING INDEX' } as Record<string, string>;

const quoteIdent = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
export const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

function located(group: CaptureGroup, source?: CapturedSource) {
  return source ? { file: source.source.path, line: source.line, node: source.source.uniqueId } : { file: group.file, line: group.line };
}

/** wal_level=logical, replication slots allowed, and a user that may use them. */
export async function checkServer(db: ReplicationSource, group: CaptureGroup): Promise<void> {
  const [row] = await db.query<{ wal_level: string; slots: string; may: boolean | null; version: string }>(
    `select current_setting('wal_level') as wal_level, current_setting('max_replication_slots') as slots,
            (select rolsuper or rolreplication from pg_roles where rolname = current_user) as may,
            current_setting('server_version_num') as version`,
  );
  if (!row) return;
  if (Number(row.version) < 100000) {
    throw new DatabaseError(`PostgreSQL at ${db.where} is version ${row.version}: live capture needs 10 or later (pgoutput)`, located(group));
  }
  if (row.wal_level !== 'logical') {
    throw new ConfigError(
      `PostgreSQL at ${db.where} has wal_level=${row.wal_level}: live capture needs wal_level=logical`,
      located(group),
      "Run ALTER SYSTEM SET wal_level = 'logical'; as a superuser and restart PostgreSQL (e.g. pg_ctlcluster 15 main restart); the setting only changes at a restart.",
    );
  }
  if (Number(row.slots) === 0) {
    throw new ConfigError(`PostgreSQL at ${db.where} has max_replication_slots=0`, located(group), 'ALTER SYSTEM SET max_replication_slots = 10; and restart PostgreSQL.');
  }
  if (row.may === false) {
    throw new ConfigError(
      `The user of ${db.where} may not use replication slots`,
      located(group),
      `Give it the REPLICATION attribute: ALTER ROLE ${quoteIdent(group.connection.user)} REPLICATION; (it also needs SELECT on the captured tables).`,
    );
  }
}

/**
 * Each captured table exists, has the key columns, and a replica identity that puts the key in
 * its delete events (and in updates that change it). Every problem is reported at once.
 */
export async function checkTables(db: ReplicationSource, group: CaptureGroup): Promise<Map<string, TableInfo>> {
  const errors: SmeltError[] = [];
  const tables = new Map<string, TableInfo>();
  for (const captured of group.sources) {
    const name = qualified(captured.schema, captured.table);
    const where = located(group, captured);
    const [rel] = await db.query<{ oid: string; relkind: string; ident: string; pk: string[] | null; index_key: string[] | null }>(
      `select c.oid::text as oid, c.relkind, c.relreplident as ident,
              (select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = c.oid and i.indisprimary) as pk,
              (select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = c.oid and i.indisreplident) as index_key
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
      [captured.schema, captured.table],
    );
    if (!rel) {
      errors.push(new ConfigError(`${captured.source.name} captures ${name}, which ${db.where} does not have`, where, 'Name the operational table with cdc.table: schema.table.'));
      continue;
    }
    const columns = await db.query<{ name: string; type_oid: string; typmod: number; base_oid: string }>(
      `select a.attname as name, a.atttypid::text as type_oid, a.atttypmod as typmod, coalesce(nullif(t.typbasetype, 0), a.atttypid)::text as base_oid
         from pg_attribute a join pg_type t on t.oid = a.atttypid
        where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum`,
      [rel.oid],
    );
    const info: TableInfo = {
      schema: captured.schema,
      table: captured.table,
      columns: columns.map((c) => ({ name: c.name, typeOid: Number(c.type_oid), typmod: Number(c.typmod), baseOid: Number(c.base_oid) })),
      replicaIdentity: rel.ident,
    };
    tables.set(`${captured.schema}.${captured.table}`, info);
    const key = captured.source.config.primary_key;
    const missing = key.filter((k) => !info.columns.some((c) => c.name === k));
    if (missing.length > 0) {
      errors.push(new ConfigError(`primary_key of ${captured.source.name} names ${missing.join(', ')}, which ${name} does not have`, where, `Its columns: ${info.columns.map((c) => c.name).join(', ')}.`));
      continue;
    }
    const identity = IDENTITY[rel.ident] ?? rel.ident;
    const fix = `ALTER TABLE ${name} REPLICA IDENTITY`;
    if (rel.ident === 'n') {
      errors.push(new ConfigError(
        `${name} has REPLICA IDENTITY NOTHING: its deletes and primary-key updates would carry no key, so smelt cannot capture them`,
        where,
        rel.pk ? `Run ${fix} DEFAULT; (its primary key ${rel.pk.join(', ')} is then sent), or ${fix} FULL; (the whole old row).` : `Add a primary key, or run ${fix} FULL; (the whole old row is then sent).`,
      ));
    } else if (rel.ident === 'd' && !rel.pk) {
      errors.push(new ConfigError(
        `${name} has no primary key and REPLICA IDENTITY DEFAULT: PostgreSQL cannot send the key of its updates and deletes (and refuses them while a publication includes the table)`,
        where,
        `Add a primary key (ALTER TABLE ${name} ADD PRIMARY KEY (${key.join(', ')});), or run ${fix} FULL;.`,
      ));
    } else if (rel.ident === 'd' || rel.ident === 'i') {
      const sent = (rel.ident === 'd' ? rel.pk : rel.index_key) ?? [];
      const notSent = key.filter((k) => !sent.includes(k));
      if (notSent.length > 0) {
        errors.push(new ConfigError(
          `primary_key of ${captured.source.name} (${key.join(', ')}) is not what ${name} sends with its deletes: REPLICA IDENTITY ${identity} sends ${sent.join(', ') || 'nothing'}`,
          where,
          `Set primary_key: [${sent.join(', ')}], or run ${fix} FULL; so that the whole old row is sent.`,
        ));
      }
    }
  }
  if (errors.length > 0) throw new SmeltErrors(errors);
  return tables;
}

export interface PublicationState {
  exists: boolean;
  /** Captured tables (`schema.table`) the publication does not include. */
  missing: string[];
  /** Operations it does not publish. */
  unpublished: string[];
}

export async function publicationState(db: ReplicationSource, group: CaptureGroup): Promise<PublicationState> {
  const [pub] = await db.query<{ puballtables: boolean; pubinsert: boolean; pubupdate: boolean; pubdelete: boolean; pubtruncate: boolean }>(
    'select puballtables, pubinsert, pubupdate, pubdelete, pubtruncate from pg_publication where pubname = $1',
    [group.publication],
  );
  if (!pub) return { exists: false, missing: group.sources.map((s) => `${s.schema}.${s.table}`), unpublished: [] };
  const included = new Set((await db.query<{ t: string }>('select schemaname || \'.\' || tablename as t from pg_publication_tables where pubname = $1', [group.publication])).map((r) => r.t));
  const unpublished = (['insert', 'update', 'delete', 'truncate'] as const).filter((op) => !pub[`pub${op}`]);
  return { exists: true, missing: group.sources.map((s) => `${s.schema}.${s.table}`).filter((t) => !included.has(t)), unpublished };
}

/**
 * The publication exists and includes every captured table: created or extended when
 * create_slot is set (before the slot, so that the slot decodes through it from its start),
 * otherwise an error that says what to run.
 */
export async function ensurePublication(db: ReplicationSource, group: CaptureGroup, log: (message: string) => void): Promise<void> {
  const state = await publicationState(db, group);
  const pub = quoteIdent(group.publication);
  const tables = (names: string[]) => names.map((t) => group.sources.find((s) => `${s.schema}.${s.table}` === t)!).map((s) => qualified(s.schema, s.table)).join(', ');
  if (!state.exists) {
    const sql = `CREATE PUBLICATION ${pub} FOR TABLE ${tables(state.missing)}`;
    if (!group.createSlot) throw new ConfigError(`Publication '${group.publication}' does not exist on ${db.where}`, located(group), `Run ${sql}; or set create_slot: true under capture:.`);
    await db.query(sql);
    log(`Created publication ${group.publication} for ${state.missing.join(', ')}`);
    return;
  }
  if (state.unpublished.length > 0) {
    throw new ConfigError(
      `Publication '${group.publication}' does not publish ${state.unpublished.join(', ')}: those changes would be missed`,
      located(group),
      `Run ALTER PUBLICATION ${pub} SET (publish = 'insert, update, delete, truncate');`,
    );
  }
  if (state.missing.length > 0) {
    const sql = `ALTER PUBLICATION ${pub} ADD TABLE ${tables(state.missing)}`;
    if (!group.createSlot) throw new ConfigError(`Publication '${group.publication}' does not include ${state.missing.join(', ')}`, located(group), `Run ${sql};`);
    await db.query(sql);
    log(`Added ${state.missing.join(', ')} to publication ${group.publication}`);
  }
}

export async function slotInfo(db: ReplicationSource, slot: string): Promise<SlotInfo | undefined> {
  const [row] = await db.query<{ plugin: string | null; slot_type: string; database: string | null; active_pid: number | null; confirmed: string | null; restart: string | null; wal_status: string | null }>(
    `select plugin, slot_type, database, active_pid, confirmed_flush_lsn::text as confirmed, restart_lsn::text as restart, wal_status
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  if (!row) return undefined;
  return { plugin: row.plugin, slotType: row.slot_type, database: row.database, activePid: row.active_pid, confirmedFlush: row.confirmed, restartLsn: row.restart, walStatus: row.wal_status };
}

/** A slot smelt can read: logical, pgoutput, on this database, with its WAL still there. */
export function checkSlot(slot: SlotInfo, group: CaptureGroup, where: string): void {
  const at = located(group);
  if (slot.slotType !== 'logical' || slot.plugin !== 'pgoutput') {
    throw new ConfigError(`Slot '${group.slot}' on ${where} is a ${slot.slotType} slot${slot.plugin ? ` with plugin ${slot.plugin}` : ''}; smelt capture reads logical slots with pgoutput`, at, 'Name another slot under capture:, or drop this one if nothing else uses it.');
  }
  if (slot.database !== group.connection.database) {
    throw new ConfigError(`Slot '${group.slot}' belongs to database ${slot.database}, not ${group.connection.database}`, at, 'A logical slot decodes one database: name another slot.');
  }
  if (slot.walStatus === 'lost') {
    throw new DatabaseError(
      `Slot '${group.slot}' on ${where} has lost WAL it needed (max_slot_wal_keep_size): changes are missing from it`,
      at,
      'Take a new snapshot: smelt capture --full-refresh (drops and rebuilds the change logs from a new slot).',
    );
  }
}
