// 1000 devices register at the same moment: every one gets its own IP and a
// certificate that the real nebula-cert accepts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../support/api.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import type { ApiHarness } from '../support/api.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { createProject, execFileAsync, newDeviceKey } from './helpers.ts';

const DEVICES = 1000;
/** nebula-cert runs this many at a time: the machine has two cores. */
const VERIFY_PARALLELISM = 4;

let api: ApiHarness;
let db: FreshDatabase;
beforeAll(async () => {
  // One user's 1000 devices at once is what the default quotas and rate
  // limits exist to refuse (tests/api/quotas.test.ts): raised here, in a database of its own.
  db = await freshDatabase();
  await db.sql`update vidsync.settings set max_devices_per_member = ${DEVICES}, max_devices_per_project = ${DEVICES}`;
  await db.sql`update vidsync.rate_limits set capacity = ${10 * DEVICES}`;
  api = await startApi({ dbUrl: db.url });
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

const reason = missing(binary('nebula-cert'));
describe.runIf(!reason)(`${DEVICES} concurrent registrations`, () => {
  it('give distinct IPs and certificates that nebula-cert verifies', async () => {
    const owner = await api.user('fleet-owner');
    const client = api.client(owner.accessToken);
    const project = await createProject(client, 'Fleet', '10.203.0.0/22');
    const keys = await Promise.all(Array.from({ length: DEVICES }, () => newDeviceKey()));

    const started = performance.now();
    const results = await Promise.all(
      keys.map(async (key, i) => {
        const { data, error } = await client.functions.invoke('nebula/register', {
          body: { projectId: project.projectId, deviceId: crypto.randomUUID(), deviceName: `device ${i}`, publicKey: key.publicKeyPem },
        });
        if (error) throw new Error(`registration ${i} failed: ${(error as Error).message}`);
        return data as { ip: string; fingerprint: string; bundle: string };
      }),
    );
    console.log(`${DEVICES} concurrent registrations took ${Math.round(performance.now() - started)} ms`);

    expect(new Set(results.map((r) => r.ip)).size).toBe(DEVICES);
    expect(new Set(results.map((r) => r.fingerprint)).size).toBe(DEVICES);
    const [live] = await api.sql<{ n: number }[]>`
      select count(*)::int as n from vidsync.ip_allocations where project_id = ${project.projectId} and released_at is null`;
    expect(live!.n).toBe(DEVICES);

    const dir = await mkdtemp(join(tmpdir(), 'vidsync-fleet-'));
    try {
      await writeFile(join(dir, 'ca.crt'), project.ca.certificate);
      const { unzipBundle } = await import('../../supabase/functions/_shared/bundle/index.ts');
      let next = 0;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: VERIFY_PARALLELISM }, async () => {
          while (next < results.length) {
            const i = next++;
            const files = unzipBundle(Uint8Array.from(atob(results[i]!.bundle), (c) => c.charCodeAt(0)));
            const crt = join(dir, `${i}.crt`);
            await writeFile(crt, files['node.crt']!);
            try {
              await execFileAsync('nebula-cert', ['verify', '-ca', join(dir, 'ca.crt'), '-crt', crt]);
            } catch (error) {
              failures.push(`${i}: ${(error as Error).message}`);
            }
          }
        }),
      );
      expect(failures).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
