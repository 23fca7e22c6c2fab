import nunjucks from 'nunjucks';
import type { ReplicationSourceOptions } from '../adapters/replication.js';
import { cdcSource, isCdcSource, type CdcSource } from '../cdc/cdc-source.js';
import { ConfigError, SmeltErrors, type SmeltError } from '../errors.js';
import type { SourceNode } from '../manifest/types.js';
import type { CdcCaptureProperties } from '../project/schemas.js';
import type { Session } from '../session.js';

/** A source captured live: its change log, and the operational table it captures. */
export interface CapturedSource {
  source: CdcSource;
  /** The operational table: `cdc.table` (a bare name is in `public`), else public.<name>. */
  schema: string;
  table: string;
  /** The line of its capture: block. */
  line?: number;
}

/**
 * The sources that read one replication slot. They are captured together, in one transaction
 * per batch on the warehouse, because the slot can only be advanced past a change once every
 * change log that wants it has it.
 */
export interface CaptureGroup {
  slot: string;
  publication: string;
  createSlot: boolean;
  snapshot: 'initial' | 'never';
  connection: ReplicationSourceOptions;
  sources: CapturedSource[];
  /** Where the (first) capture: block is, for messages. */
  file: string;
  line?: number;
}

export function hasCapture(node: SourceNode): boolean {
  return isCdcSource(node) && !!cdcSource(node).config.capture;
}

/** Whether the source also (or only) loads files. */
export function hasFiles(node: SourceNode): boolean {
  return isCdcSource(node) && cdcSource(node).config.path.length > 0;
}

/**
 * The capture groups that hold the selected sources, each with every source that names its slot
 * (selected or not). `{{ env_var() }}` and `{{ var() }}` are rendered in the capture: values;
 * passwords are returned so that they can be kept out of every message.
 */
export function captureGroups(session: Session, selected: readonly SourceNode[]): { groups: CaptureGroup[]; secrets: string[]; warnings: SmeltError[] } {
  const errors: SmeltError[] = [];
  const warnings: SmeltError[] = [];
  const secrets: string[] = [];
  const all = Object.values(session.compiled.manifest.sources).filter(hasCapture);
  const byKey = new Map<string, CaptureGroup>();
  const groupOf = new Map<string, CaptureGroup>();
  for (const node of all) {
    const source = cdcSource(node);
    const locate = (path: (string | number)[]) => captureLine(session, node, path);
    let resolved: ReturnType<typeof resolveCapture>;
    try {
      resolved = resolveCapture(source.config.capture!, session.run.env, session.run.vars, (key) => ({ file: node.path, line: locate(key), node: node.uniqueId }));
    } catch (error) {
      if (error instanceof ConfigError) {
        errors.push(error);
        continue;
      }
      throw error;
    }
    if (resolved.connection.password) secrets.push(resolved.connection.password);
    const written = source.config.capture!.connection.password;
    if (written && !written.includes('{{')) {
      warnings.push(new ConfigError(`${source.name}: capture.connection.password is written in the YAML, so it is copied wherever the project's YAML goes (target/manifest.json, the docs)`, { file: node.path, line: locate(['connection', 'password']), node: node.uniqueId }, "Read it from the environment: password: \"{{ env_var('OPS_PASSWORD') }}\" (or leave it out: PGPASSWORD is used)."));
    }
    const [schema, table] = operationalTable(source, node.name);
    const key = `${resolved.connection.host}:${resolved.connection.port}/${resolved.connection.database}/${resolved.slot}`;
    const existing = byKey.get(key);
    if (!existing) {
      const group: CaptureGroup = { ...resolved, sources: [{ source, schema, table, line: locate([]) }], file: node.path, line: locate([]) };
      byKey.set(key, group);
      groupOf.set(node.uniqueId, group);
      continue;
    }
    const first = existing.sources[0]!.source.name;
    const differs = (['publication', 'createSlot', 'snapshot'] as const).find((k) => existing[k] !== resolved[k])
      ?? (existing.connection.user !== resolved.connection.user || existing.connection.password !== resolved.connection.password ? 'connection' : undefined);
    const where = { file: node.path, line: locate([]), node: node.uniqueId };
    if (differs) {
      errors.push(new ConfigError(`${source.name} reads slot '${resolved.slot}' like ${first}, but with another ${differs === 'createSlot' ? 'create_slot' : differs}`, where, 'Sources that share a slot share its settings: make them the same, or give this source a slot of its own.'));
      continue;
    }
    const twice = existing.sources.find((s) => s.schema === schema && s.table === table);
    if (twice) {
      errors.push(new ConfigError(`${source.name} captures ${schema}.${table} from slot '${resolved.slot}', as ${twice.source.name} does`, where, 'Capture a table once per slot; derive other models from that change log.'));
      continue;
    }
    existing.sources.push({ source, schema, table, line: locate([]) });
    groupOf.set(node.uniqueId, existing);
  }
  if (errors.length > 0) throw new SmeltErrors(errors);
  const groups: CaptureGroup[] = [];
  for (const node of selected) {
    const group = groupOf.get(node.uniqueId);
    if (group && !groups.includes(group)) groups.push(group);
  }
  return { groups, secrets, warnings };
}

/** The operational table a source captures: `cdc.table` (`schema.table`, or a name in public), else public.<name>. */
export function operationalTable(source: CdcSource, name: string): [string, string] {
  const configured = source.config.table;
  if (!configured) return ['public', name];
  const dot = configured.indexOf('.');
  return dot < 0 ? ['public', configured] : [configured.slice(0, dot), configured.slice(dot + 1)];
}

type Resolved = Pick<CaptureGroup, 'slot' | 'publication' | 'createSlot' | 'snapshot' | 'connection'>;

/** Renders and checks one capture: block. `where` locates a key (path under capture:) for errors. */
export function resolveCapture(
  capture: CdcCaptureProperties,
  env: NodeJS.ProcessEnv,
  vars: Record<string, unknown>,
  where: (key: (string | number)[]) => { file: string; line?: number; node?: string },
): Resolved {
  const render = (value: string | number | undefined, key: (string | number)[]): string | undefined => {
    if (value === undefined) return undefined;
    const text = String(value);
    if (!text.includes('{{') && !text.includes('{%')) return text;
    const renderer = new nunjucks.Environment(null, { autoescape: false, dev: true });
    renderer.addGlobal('env_var', (name: string, fallback?: unknown) => {
      const found = env[name];
      if (found === undefined && fallback === undefined) throw new ConfigError(`Environment variable '${name}' used by capture.${key.join('.')} is not set`, where(key), `Export ${name} or give env_var a default.`);
      return found ?? fallback;
    });
    renderer.addGlobal('var', (name: string, fallback?: unknown) => {
      if (name in vars) return vars[name];
      if (fallback === undefined) throw new ConfigError(`var '${name}' used by capture.${key.join('.')} is not set`, where(key), `Set it under vars: in project.yml, or pass --vars '{${name}: ...}'.`);
      return fallback;
    });
    try {
      return renderer.renderString(text, {}).trim();
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError(`capture.${key.join('.')}: ${(error as Error).message.split('\n')[0]}`, where(key));
    }
  };
  const c = capture.connection;
  const port = render(c.port, ['connection', 'port']) ?? env.PGPORT ?? '5432';
  if (!/^\d+$/.test(port)) throw new ConfigError(`capture.connection.port must be a number, not '${port}'`, where(['connection', 'port']));
  const slot = render(capture.slot, ['slot'])!;
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) {
    throw new ConfigError(`capture.slot '${slot}' is not a valid slot name`, where(['slot']), 'A slot name is lower-case letters, digits and underscores, at most 63 of them.');
  }
  const password = render(c.password, ['connection', 'password']) ?? env.PGPASSWORD;
  return {
    slot,
    publication: render(capture.publication, ['publication']) ?? slot,
    createSlot: capture.create_slot,
    snapshot: capture.snapshot,
    connection: {
      host: render(c.host, ['connection', 'host']) ?? env.PGHOST ?? '127.0.0.1',
      port: Number(port),
      user: render(c.user, ['connection', 'user']) ?? env.PGUSER ?? 'postgres',
      ...(password ? { password } : {}),
      database: render(c.database, ['connection', 'database']) ?? env.PGDATABASE ?? 'postgres',
      ...(c.sslmode ? { sslmode: render(c.sslmode, ['connection', 'sslmode'])! } : {}),
      ...(c.connect_timeout ? { connectTimeoutSeconds: c.connect_timeout } : {}),
      applicationName: `smelt capture (slot ${slot})`,
    },
  };
}

/** The line of a key under the source's `cdc.capture` block in its YAML file. */
export function captureLine(session: Session, node: SourceNode, key: (string | number)[]): number | undefined {
  for (const { yaml, value } of session.project.properties) {
    if (yaml.path !== node.path) continue;
    const sources = value.sources ?? [];
    for (const [i, source] of sources.entries()) {
      if (source.name !== node.sourceName) continue;
      const j = source.tables.findIndex((t) => t.name === node.name);
      if (j >= 0) return yaml.lineOf(['sources', i, 'tables', j, 'cdc', 'capture', ...key]);
    }
  }
  return undefined;
}
