import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'cli/**/*.test.ts', 'e2e/**/*.test.ts'],
    // DuckDB's native module and process-level state (cwd, env) are safest in forked workers.
    pool: 'forks',
    reporters: ['default', './e2e/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
