import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { main } from '../../cli/main.js';

/**
 * End-to-end helpers: write a fixture project to a temporary folder, run the CLI in-process
 * against DuckDB or PostgreSQL, and read the warehouse back.
 */
export type DialectName = 'duckdb' | 'postgres';

export const PG = {
  host: process.env.SMELT_TEST_PGHOST ?? '127.0.0.1',
  port: Number(process.env.SMELT_TEST_PGPORT ?? 5432),
  user: process.env.SMELT_TEST_PGUSER ?? 'postgres',
  database: process.env.SMELT_TEST_PGDATABASE ?? 'test',
};

let postgresAvailable: boolean | undefined;

/** Whether the test PostgreSQL answers. In CI a missing server is a failure, not a skip. */
export async function hasPostgres(): Promise<boolean> {
  if (postgresAvailable !== undefined) return postgresAvailable;
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    postgresAvailable = true;
  } catch (error) {
    if (process.env.CI) throw new Error(`CI requires PostgreSQL at ${PG.host}:${PG.port}/${PG.database}: ${(error as Error).message}`);
    console.warn(`\n*** PostgreSQL is not reachable at ${PG.host}:${PG.port}/${PG.database}: PostgreSQL tests are SKIPPED ***\n`);
    postgresAvailable = false;
  } finally {
    await client.end().catch(() => undefined);
  }
  return postgresAvailable;
}

/** The dialects to loop over: DuckDB always, PostgreSQL when reachable. */
export async function dialects(): Promise<DialectName[]> {
  return (await hasPostgres()) ? ['duckdb', 'postgres'] : ['duckdb'];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class FixtureProject {
  readonly dir: string;
  readonly schema: string;

  constructor(readonly dialect: DialectName, files: Record<string, string>, options: { projectYml?: string; name?: string } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'smelt-e2e-'));
    this.schema = dialect === 'duckdb' ? 'main' : `smelt_e2e_${Math.random().toString(36).slice(2, 10)}`;
    const projectYml = options.projectYml ?? `name: ${options.name ?? 'fixture'}\nversion: "1.0"\n`;
    this.write({ 'project.yml': `${projectYml}\n${this.targetsYaml()}`, ...files });
  }

  private targetsYaml(): string {
    if (this.dialect === 'duckdb') return `target: dev\ntargets:\n  dev:\n    type: duckdb\n    path: target/test.duckdb\n    threads: 4\n`;
    return `target: dev\ntargets:\n  dev:\n    type: postgres\n    host: ${PG.host}\n    port: ${PG.port}\n    user: ${PG.user}\n    database: ${PG.database}\n    schema: ${this.schema}\n    threads: 4\n`;
  }

  write(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }

  remove(path: string): void {
    rmSync(join(this.dir, path), { force: true, recursive: true });
  }

  async cli(...args: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: '1' },
      isTty: false,
    });
    return { code, stdout, stderr };
  }

  /** Schema name as smelt names it: the target schema, or `<target>_<custom>`. */
  schemaFor(custom?: string): string {
    return custom ? `${this.schema}_${custom}` : this.schema;
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    if (this.dialect === 'duckdb') {
      const instance = await DuckDBInstance.create(join(this.dir, 'target/test.duckdb'));
      const connection = await instance.connect();
      try {
        const reader = await connection.runAndReadAll(sql);
        return reader.getRowObjectsJson() as T[];
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    }
    const client = new pg.Client(PG);
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** 'table', 'view' or undefined. */
  async relationType(schema: string, name: string): Promise<string | undefined> {
    const rows = await this.query<{ t: string }>(`select table_type as t from information_schema.tables where table_schema = '${schema}' and table_name = '${name}'`);
    const t = rows[0]?.t;
    return t === undefined ? undefined : t === 'VIEW' ? 'view' : 'table';
  }

  async cleanup(): Promise<void> {
    if (this.dialect === 'postgres') {
      const client = new pg.Client(PG);
      await client.connect();
      try {
        const { rows } = await client.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like '${this.schema}%'`);
        for (const row of rows) await client.query(`drop schema if exists "${row.nspname}" cascade`);
      } finally {
        await client.end();
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The fixture maker of one test file: every project it makes is removed (with its PostgreSQL
 * schemas) after that file's tests.
 */
export function fixtures(): (dialect: DialectName, files: Record<string, string>, projectYml?: string) => FixtureProject {
  const made: FixtureProject[] = [];
  afterAll(async () => {
    await Promise.all(made.map((p) => p.cleanup()));
  });
  return (dialect, files, projectYml) => {
    const project = new FixtureProject(dialect, files, projectYml ? { projectYml } : {});
    made.push(project);
    return project;
  };
}
