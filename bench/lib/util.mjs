// Small helpers shared by the benchmark scripts: run the built CLI, time it, take medians.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SMELT = join(ROOT, 'bin/smelt.js');

/** Runs `smelt args...` in cwd; returns wall seconds. Throws on a non-zero exit. */
export function smelt(cwd, args, env = {}) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [SMELT, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`smelt ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function writeFiles(root, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

export function fmt(seconds) {
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}

/** The target block for a bench project on duckdb or postgres (database `test`). */
export function targetsYaml(dialect, schema) {
  if (dialect === 'duckdb') return `target: dev\ntargets:\n  dev:\n    type: duckdb\n    path: target/bench.duckdb\n    threads: 2\n`;
  return `target: dev\ntargets:\n  dev:\n    type: postgres\n    host: 127.0.0.1\n    port: 5432\n    user: postgres\n    database: test\n    schema: ${schema}\n    threads: 2\n`;
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
