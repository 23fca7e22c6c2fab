import type { Dialect } from '../adapters/dialect.js';

/**
 * The JSON and epoch functions that CDC SQL needs, per database. Pure text, like Dialect; kept
 * here because only the change log (JSON before/after images) needs them.
 */
export interface JsonSql {
  /** Column type of the before/after images. */
  readonly jsonType: string;
  readonly textType: string;
  /** A FROM item with one row per element of a JSON array of objects bound as one parameter. */
  recordset(parameter: string, columns: readonly RecordsetColumn[], alias: string): string;
  /** The field as text (NULL when missing or JSON null). */
  text(json: string, field: string): string;
  /** The field as a JSON value. */
  value(json: string, field: string): string;
  /** Whether the field holds a JSON number. */
  isNumber(json: string, field: string): string;
  /** A timestamp without time zone (UTC) from microseconds since the epoch. */
  timestampFromMicros(micros: string): string;
  /** A timestamp with time zone from microseconds since the epoch. */
  timestamptzFromMicros(micros: string): string;
}

export interface RecordsetColumn {
  name: string;
  /** SQL type of the field; the JSON type keeps objects as they are. */
  type: string;
}

class DuckdbJsonSql implements JsonSql {
  readonly jsonType = 'json';
  readonly textType = 'varchar';
  constructor(private readonly dialect: Dialect) {}
  recordset(parameter: string, columns: readonly RecordsetColumn[], alias: string): string {
    const structure = JSON.stringify([Object.fromEntries(columns.map((c) => [c.name, c.type.toUpperCase()]))]);
    return `(select unnest(from_json(cast(${parameter} as json), ${this.dialect.literal(structure)}), recursive := true)) as ${alias}`;
  }
  private path(field: string): string {
    return this.dialect.literal(`$."${field.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
  }
  text(json: string, field: string): string {
    return `json_extract_string(${json}, ${this.path(field)})`;
  }
  value(json: string, field: string): string {
    return `json_extract(${json}, ${this.path(field)})`;
  }
  isNumber(json: string, field: string): string {
    return `coalesce(json_type(${json}, ${this.path(field)}) in ('BIGINT', 'UBIGINT', 'DOUBLE'), false)`;
  }
  timestampFromMicros(micros: string): string {
    return `make_timestamp(cast(${micros} as bigint))`;
  }
  timestamptzFromMicros(micros: string): string {
    return `to_timestamp(cast(${micros} as double) / 1000000)`;
  }
}

class PostgresJsonSql implements JsonSql {
  readonly jsonType = 'jsonb';
  readonly textType = 'text';
  constructor(private readonly dialect: Dialect) {}
  recordset(parameter: string, columns: readonly RecordsetColumn[], alias: string): string {
    return `json_to_recordset(cast(${parameter} as json)) as ${alias}(${columns.map((c) => `${this.dialect.quote(c.name)} ${c.type}`).join(', ')})`;
  }
  text(json: string, field: string): string {
    return `(${json} ->> ${this.dialect.literal(field)})`;
  }
  value(json: string, field: string): string {
    return `(${json} -> ${this.dialect.literal(field)})`;
  }
  isNumber(json: string, field: string): string {
    return `coalesce(jsonb_typeof(${json} -> ${this.dialect.literal(field)}) = 'number', false)`;
  }
  timestampFromMicros(micros: string): string {
    return `(to_timestamp(cast(${micros} as double precision) / 1000000) at time zone 'UTC')`;
  }
  timestamptzFromMicros(micros: string): string {
    return `to_timestamp(cast(${micros} as double precision) / 1000000)`;
  }
}

const FACTORIES: Record<string, (dialect: Dialect) => JsonSql> = {
  duckdb: (dialect) => new DuckdbJsonSql(dialect),
  postgres: (dialect) => new PostgresJsonSql(dialect),
};

export function jsonSqlFor(dialect: Dialect): JsonSql {
  const factory = FACTORIES[dialect.name];
  if (!factory) throw new Error(`CDC sources are not supported on '${dialect.name}'`);
  return factory(dialect);
}

/** Epoch numbers at or above this are microseconds, below it milliseconds (1973 to 5138 either way). */
const MICROS_FROM = '100000000000000';

/**
 * The SQL that reads field `field` of a JSON row image as `dataType`. Debezium's JSON without a
 * schema sends dates as days and timestamps as milli- or microseconds since the epoch: those
 * are converted; text values are cast as they are. No type: the text.
 */
export function typedField(json: JsonSql, image: string, field: string, dataType: string | undefined): string {
  const text = json.text(image, field);
  if (!dataType) return text;
  const type = dataType.trim().toLowerCase().replace(/\s+/g, ' ');
  if (/^jsonb?$/.test(type)) return `cast(${json.value(image, field)} as ${dataType})`;
  const number = json.isNumber(image, field);
  if (type === 'date') {
    return `case when ${number} then cast('1970-01-01' as date) + cast(${text} as integer) else cast(${text} as date) end`;
  }
  const zoned = /^(timestamptz|timestamp( ?\(\d+\))? with time zone)$/.test(type);
  if (zoned || /^(timestamp|datetime)( ?\(\d+\))?( without time zone)?$/.test(type)) {
    const micros = `case when abs(cast(${text} as bigint)) >= ${MICROS_FROM} then cast(${text} as bigint) else cast(${text} as bigint) * 1000 end`;
    const fromEpoch = zoned ? json.timestamptzFromMicros(micros) : json.timestampFromMicros(micros);
    return `case when ${number} then cast(${fromEpoch} as ${dataType}) else cast(${text} as ${dataType}) end`;
  }
  return `cast(${text} as ${dataType})`;
}
