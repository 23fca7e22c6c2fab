import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI can read. A test
 * file that fails before its tests run (an import or a beforeAll that throws) counts as one
 * failure, so the line never reads "0 failed" on a red run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let brokenFiles = 0;
    for (const module of modules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      failed += failedHere;
      if (failedHere === 0 && (module.state() === 'failed' || module.errors().length > 0)) brokenFiles++;
    }
    const files = brokenFiles > 0 ? ` (${brokenFiles} test file${brokenFiles === 1 ? '' : 's'} failed to run)` : '';
    process.stdout.write(`\n${passed} passed, ${failed + brokenFiles} failed, ${skipped} skipped${files}\n`);
  }
}
