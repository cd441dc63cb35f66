// A release that races a registration of the same device must not leave the
// certificate valid past the IP's reusable_after: otherwise, once the IP
// cools and goes to another device, two valid certificates name it.
//
// The race, made deterministic: a registration of device D is held between
// its allocation (D's row is locked) and signing (a test transaction holds
// the CA table), a release of D starts and waits for D's row, and only two
// seconds later is the registration let go. The release's transaction began
// before the certificate was signed: when it stamped reusable_after with
// now() (its start) and the certificate took the function's clock at
// signing, the certificate outlived the cooling by those two seconds (5 s
// were reproduced against the hosted setup). Both now come from the
// database's clock, the release's read after it got the lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { createProject, newDeviceKey } from './helpers.ts';

let db: FreshDatabase;
let api: ApiHarness;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi({ dbUrl: db.url });
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a release racing a registration of the same device', () => {
  it("leaves no certificate valid past the IP's reusable_after", async () => {
    const owner = await api.user('race-owner');
    const { projectId } = await createProject(api.client(owner.accessToken), 'Race');
    const deviceId = crypto.randomUUID();
    const key = await newDeviceKey();
    const register = () =>
      api.fetch('register', {
        method: 'POST',
        token: owner.accessToken,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ projectId, deviceId, deviceName: 'racer', publicKey: key.publicKeyPem }),
      });
    expect((await register()).status).toBe(200);

    const blocker = postgres(db.url, { max: 1, onnotice: () => {} });
    const watcher = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let letGo!: () => void;
      const held = new Promise<void>((resolve) => (letGo = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const blocking = blocker.begin(async (tx) => {
        await tx`lock table vidsync.project_cas in access exclusive mode`;
        locked();
        await held;
      });
      await isLocked;

      const waiting = async (locktype: string) => {
        const [row] = await watcher<{ n: number }[]>`
          select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where not l.granted and a.datname = current_database() and l.locktype = ${locktype}`;
        return row!.n > 0;
      };
      // The registration has allocated (D's row is locked) and waits to read the CA.
      const registering = register();
      await waitFor('the registration to wait for the CA table', () => waiting('relation'));
      // The release begins now, and waits for D's row.
      const releasing = api.fetch(`release/${deviceId}?reason=race`, { method: 'POST', token: owner.accessToken });
      await waitFor('the release to wait for the device', async () => (await waiting('transactionid')) || (await waiting('tuple')));
      await new Promise((r) => setTimeout(r, 2000));
      letGo();
      await blocking;

      const registered = (await (await registering).json()) as { notAfter: string; ip: string; fingerprint: string };
      const released = (await (await releasing).json()) as { reusableAfter: string; releasedIp: string };
      expect(released.releasedIp).toBe(registered.ip);
      expect(new Date(registered.notAfter).getTime()).toBeLessThanOrEqual(new Date(released.reusableAfter).getTime());

      // And as stored: no certificate of the address outlives its cooling.
      const outliving = await db.sql`
        select c.fingerprint, c.not_after, p.reusable_after
          from vidsync.issued_certificates c
          join vidsync.ip_pool p on p.project_id = c.project_id and p.ip = c.ip
         where c.project_id = ${projectId} and p.device_id is null and c.not_after > p.reusable_after`;
      expect(outliving).toEqual([]);
    } finally {
      await blocker.end({ timeout: 1 });
      await watcher.end({ timeout: 1 });
    }
  });
});
