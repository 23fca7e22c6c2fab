import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';

/**
 * The DuckDB driver, loaded with require(). It is a CommonJS package of many files: imported
 * from an ES module, Node runs its CommonJS export scanner over every one of them, which
 * doubles the driver's load time (about 0.3 s to 0.15 s here), paid by every command that opens
 * DuckDB.
 */
export const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
