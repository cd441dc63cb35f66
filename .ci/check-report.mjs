// CI's second guard after `npm test`'s exit status: reads vitest's JSON
// report, prints one plain closing line (N passed, N failed, N skipped) and
// exits 1 when any test or suite failed, or when no test ran at all.
// Usage: node .ci/check-report.mjs <vitest-report.json>
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node .ci/check-report.mjs <vitest-report.json>');
  process.exit(2);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
if (r.numFailedTests > 0 || r.numFailedTestSuites > 0 || r.success !== true || r.numTotalTests === 0) {
  console.error(`CI: ${r.numFailedTests} failed test(s), ${r.numFailedTestSuites} failed suite(s), ${r.numTotalTests} test(s) in all`);
  process.exit(1);
}
