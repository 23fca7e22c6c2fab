import type { ResolvedTarget } from '../project/targets.js';
import type { Adapter, AdapterOptions } from './adapter.js';

/**
 * The one place that maps a target type to an adapter. Drivers are imported on demand so that
 * commands that never touch a database (compile, ls, --version) start fast.
 */
export async function createAdapter(target: ResolvedTarget, projectRoot: string, threads: number, options: AdapterOptions = {}): Promise<Adapter> {
  const config = target.config;
  switch (config.type) {
    case 'duckdb': {
      const { DuckdbAdapter } = await import('./duckdb/duckdb-adapter.js');
      return new DuckdbAdapter({ path: DuckdbAdapter.resolvePath(projectRoot, config.path), threads, readOnly: options.readOnly });
    }
    case 'postgres': {
      const { PostgresAdapter } = await import('./postgres/postgres-adapter.js');
      return new PostgresAdapter({
        host: config.host!,
        port: Number(config.port),
        user: config.user!,
        password: config.password,
        database: config.database!,
        threads,
        connectTimeoutSeconds: config.connect_timeout,
        sslmode: config.sslmode,
        readOnly: options.readOnly,
      });
    }
  }
}
