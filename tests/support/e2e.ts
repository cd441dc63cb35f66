// What the overlay suites share: the nebula logs of a failed test, printed
// before teardown deletes the namespaces they came from.
import { beforeEach } from 'vitest';
import type { NebulaHost } from '../../scripts/e2e/nebula-host.ts';

export function printNebulaLogsOnFailure(nebula: Readonly<Record<string, NebulaHost>>, lines = 40): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, host] of Object.entries(nebula)) {
        console.error(`--- nebula log of ${name} (last ${lines} lines) ---\n${host.logText().split('\n').slice(-lines).join('\n')}`);
      }
    });
  });
}
