// The DuckDB baseline: its own read_csv (with its sniffer) into a table in a fresh database file.
// Usage: node bench/seeds/duckdb-native.mjs FILE.csv DB.duckdb THREADS  -> prints seconds
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [file, db, threads = '2'] = process.argv.slice(2);
rmSync(db, { force: true });
rmSync(`${db}.wal`, { force: true });
const instance = await DuckDBInstance.create(db, { threads });
const connection = await instance.connect();
const started = performance.now();
await connection.run(`create table bench as select * from read_csv('${file.replaceAll("'", "''")}')`);
console.log(((performance.now() - started) / 1000).toFixed(4));
connection.closeSync();
instance.closeSync();
