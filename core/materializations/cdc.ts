import type { Connection } from '../adapters/adapter.js';
import { CHANGE_LOG_COLUMNS as C, timestampLiteral } from '../cdc/change-log.js';
import { cdcSourceOfModel, loadsRelation, WATERMARKS_TABLE, type CdcSource } from '../cdc/cdc-source.js';
import { affectedKeysSql, CURRENT_META, currentStateSql, HISTORY_META, historySql, truncatesSinceSql, type DeriveInput, type OutputColumn } from '../cdc/derive-sql.js';
import { jsonSqlFor } from '../cdc/json-sql.js';
import { SmeltError } from '../errors.js';
import type { CompiledNode, RelationName } from '../manifest/types.js';
import { lockedTransaction } from '../runner/write-lock.js';
import type { BuildContext, BuildOutcome, Materialization } from './materialization.js';
import { tempIdentifier } from './temp-name.js';

export type CdcKind = 'cdc_current' | 'cdc_history';

/**
 * `cdc_current` (the current state of each key) and `cdc_history` (SCD2: one row per version)
 * over a CDC source's change log. The model selects from the change log:
 *
 *   {{ config(materialized='cdc_current') }}
 *   select * from {{ source('shop_cdc', 'customers') }}
 *
 * Both are incremental: a watermark (the load sequence `_cdc_seq` last applied) is kept in
 * `smelt_cdc_watermarks` beside the table, and a run recomputes only the keys with events
 * loaded since — from all of their events, so a late event (older LSN, loaded later) lands in
 * its right place. A truncate, a change of columns, --full-refresh or a missing watermark
 * rebuild the table from the whole change log. Each step is one transaction under a lock.
 */
export class CdcMaterialization implements Materialization {
  constructor(readonly name: CdcKind) {}

  async build(context: BuildContext): Promise<BuildOutcome> {
    const { adapter, connection, node } = context;
    if (!context.manifest) throw new SmeltError(`${node.name}: the ${this.name} materialization needs the manifest`);
    const source = cdcSourceOfModel(node, context.manifest);
    const dialect = adapter.dialect;
    const json = jsonSqlFor(dialect);
    const log = dialect.relation(source.relation);
    const statements: string[] = [];
    const warnings: string[] = [];
    const execute = async (sql: string) => {
      statements.push(sql);
      return connection.execute(sql);
    };
    if (!(await adapter.getRelation(connection, source.relation))) {
      throw new SmeltError(`The change log of ${source.name} (${log}) does not exist yet`, { file: node.path, node: node.uniqueId }, `Load it first: smelt ${source.config.path.length > 0 ? 'ingest' : 'capture --once'} -s source:${source.name}`);
    }
    const columns = await outputColumns(node, source, connection, dialect.relation(loadsRelation(source)));
    const meta = this.name === 'cdc_current' ? CURRENT_META : HISTORY_META;
    const input: DeriveInput = { dialect, json, changes: context.sql, key: source.config.primary_key, columns };
    const derive = (since?: number) => (this.name === 'cdc_current' ? currentStateSql : historySql)({ ...input, ...(since === undefined ? {} : { since }) });
    const watermarks: RelationName = { ...node.relation, identifier: WATERMARKS_TABLE };
    // The watermark is a position in one change log: a model switched to another (files to a
    // live capture) finds none and is rebuilt, instead of taking the old position for the new.
    const watermarkKey = `${node.relation.identifier} <- ${log}`;
    await ensureWatermarks(context, watermarks, execute);

    return lockedTransaction(adapter, connection, `cdc model ${dialect.relation(node.relation)}`, async () => {
      const existing = await adapter.getRelation(connection, node.relation);
      const [top] = await connection.query<{ seq: number | bigint | null }>(`select max(${dialect.quote(C.seq)}) as seq from ${log}`);
      const last = Number(top?.seq ?? 0);
      const [mark] = existing
        ? await connection.query<{ last_seq: number | bigint }>(`select last_seq from ${dialect.relation(watermarks)} where model = $1`, [watermarkKey])
        : [];
      const watermark = mark === undefined ? undefined : Number(mark.last_seq);

      let rebuild: string | undefined;
      if (!existing) rebuild = `${this.name} (first build)`;
      else if (existing.type === 'view') rebuild = `${this.name} (replaced a view)`;
      else if (context.fullRefresh || node.config.full_refresh === true) rebuild = `${this.name} (full refresh)`;
      else if (watermark === undefined) rebuild = `${this.name} (rebuilt: no watermark)`;
      else {
        const expected = [...columns.map((c) => c.name), ...meta].map((c) => c.toLowerCase());
        const actual = (await adapter.getColumns(connection, node.relation)).map((c) => c.name.toLowerCase());
        if (expected.join('\u0000') !== actual.join('\u0000')) {
          rebuild = `${this.name} (rebuilt: columns changed)`;
          warnings.push('its columns changed: rebuilt from the whole change log');
        } else if (last > watermark) {
          const [truncates] = await connection.query<{ n: number | bigint }>(truncatesSinceSql(dialect, log, watermark));
          if (Number(truncates?.n ?? 0) > 0) rebuild = `${this.name} (rebuilt: truncate)`;
        }
      }

      let rowsAffected: number | undefined;
      let message: string;
      if (rebuild) {
        rowsAffected = await replaceTable(context, derive(), existing?.type, execute, warnings);
        message = rebuild;
      } else if (last <= watermark!) {
        rowsAffected = 0;
        message = `${this.name} (up to date)`;
      } else {
        const staging = { ...node.relation, identifier: tempIdentifier(`${node.relation.identifier}__cdc`) };
        const target = dialect.relation(node.relation);
        const names = [...columns.map((c) => c.name), ...meta].map((c) => dialect.quote(c)).join(', ');
        await execute(dialect.drop(staging, 'table', { ifExists: true }));
        await execute(dialect.createTableAs(staging, derive(watermark)));
        await execute(`delete from ${target} where ${dialect.quote(C.key)} in (${affectedKeysSql(dialect, log, watermark!)})`);
        rowsAffected = (await execute(`insert into ${target} (${names})\nselect ${names} from ${dialect.relation(staging)}`)).rowsAffected;
        await execute(dialect.drop(staging, 'table'));
        message = `${this.name} (incremental)`;
      }
      await connection.query(`delete from ${dialect.relation(watermarks)} where model = $1 or starts_with(model, $2)`, [node.relation.identifier, `${node.relation.identifier} <- `]);
      await connection.query(`insert into ${dialect.relation(watermarks)} (model, last_seq, updated_at) values ($1, $2, ${timestampLiteral(new Date())})`, [watermarkKey, last]);
      return { rowsAffected, message, statements, warnings };
    });
  }
}

/**
 * The columns to extract: the model's own YAML columns when they declare data types, else the
 * source's declared columns, else every field the loaded row images had (as text). The key
 * columns always come first unless placed elsewhere.
 */
async function outputColumns(node: CompiledNode, source: CdcSource, connection: Connection, loads: string): Promise<OutputColumn[]> {
  const modelColumns = Object.values(node.columns);
  let columns: OutputColumn[];
  if (modelColumns.some((c) => c.data_type)) columns = modelColumns.map((c) => (c.data_type ? { name: c.name, dataType: c.data_type } : { name: c.name }));
  else if (source.columns.length > 0) columns = source.columns;
  else {
    const rows = await connection.query<{ columns: string | null }>(`select columns from ${loads} where source = $1 order by loaded_at, file`, [source.uniqueId]);
    const seen = new Set<string>();
    for (const row of rows) for (const name of JSON.parse(row.columns ?? '[]') as string[]) seen.add(name);
    columns = [...seen].map((name) => ({ name }));
  }
  const missingKeys = source.key.filter((k) => !columns.some((c) => c.name === k.name));
  return [...missingKeys.map((k) => ({ name: k.name })), ...columns];
}

async function ensureWatermarks(context: BuildContext, watermarks: RelationName, execute: (sql: string) => Promise<unknown>): Promise<void> {
  const { adapter, connection } = context;
  if (await adapter.getRelation(connection, watermarks)) return;
  const dialect = adapter.dialect;
  const text = jsonSqlFor(dialect).textType;
  // Models in one schema share the table: create it once, under a lock of its own.
  await lockedTransaction(adapter, connection, `create ${dialect.relation(watermarks)}`, async () => {
    await execute(`create table if not exists ${dialect.relation(watermarks)} (model ${text} not null, last_seq bigint not null, updated_at timestamp)`);
  });
}

/**
 * Builds the table whole under a temporary name and swaps it in (inside the caller's
 * transaction). Where dropping cascades to dependent views (PostgreSQL), they are recreated.
 */
async function replaceTable(
  context: BuildContext,
  sql: string,
  existing: 'table' | 'view' | undefined,
  execute: (sql: string) => Promise<{ rowsAffected?: number }>,
  warnings: string[],
): Promise<number | undefined> {
  const { adapter, connection, node } = context;
  const dialect = adapter.dialect;
  if (!existing) return (await execute(dialect.createTableAs(node.relation, sql))).rowsAffected;
  const temp = { ...node.relation, identifier: tempIdentifier(node.relation.identifier) };
  await execute(dialect.drop(temp, 'table', { ifExists: true }));
  const { rowsAffected } = await execute(dialect.createTableAs(temp, sql));
  const cascade = adapter.capabilities.dropCascadesDependentViews;
  if (cascade) await adapter.serializeSwap?.(connection);
  const dependents = cascade ? await adapter.dependentViews(connection, node.relation) : [];
  await execute(dialect.drop(node.relation, existing, { cascade }));
  await execute(dialect.rename(temp, 'table', node.relation.identifier));
  for (const view of dependents) {
    const relation = { schema: view.schema, identifier: view.name };
    if (await adapter.getRelation(connection, relation)) continue;
    await connection.execute('savepoint smelt_dependent');
    try {
      await connection.execute(`create view ${dialect.relation(relation)} as ${view.definition}`);
      await connection.execute('release savepoint smelt_dependent');
    } catch (error) {
      await connection.execute('rollback to savepoint smelt_dependent');
      warnings.push(`view ${view.schema}.${view.name} depends on ${node.name} and could not be recreated (${(error as Error).message})`);
    }
  }
  return rowsAffected;
}
