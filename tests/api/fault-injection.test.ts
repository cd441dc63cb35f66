// A registration killed at any point leaves nothing behind. Registration is
// one transaction (allocate, sign, record the certificate, build the
// bundle), so whatever dies between the allocation and the commit, the
// address must go back: no address held without a recorded certificate, no
// device row nobody got a certificate for, and the pool's three records of
// who holds what in agreement.
//
// Two ways to die, each many times, at moments picked at random among
// registrations that have already written (their transaction has an xid):
//   - the database drops the function's connection (pg_terminate_backend);
//   - the function's process is killed (SIGKILL), then started again, as
//     the platform would restart a crashed worker.
// Then the function must still serve, every registration it answered 200
// for must hold its address and certificate, and no invariant may be broken.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { startLocalFunctions } from '../../scripts/local-functions/start.ts';
import type { LocalFunctions } from '../../scripts/local-functions/start.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { brokenInvariants } from '../support/invariants.ts';
import { newDeviceKey } from './helpers.ts';

/**
 * Connections dropped under registrations, within at most TERMINATION_PHASE_MS
 * (a cap, not the measure: a registration holds its write for a few
 * milliseconds, so on a busy machine catching 25 takes longer).
 */
const TERMINATIONS = 25;
const TERMINATION_PHASE_MS = 25_000;
const PROCESS_KILLS = 4;
const IN_FLIGHT = 12;

let db: FreshDatabase;
let watcher: Sql;
let stateDir: string;
let functions: LocalFunctions;
let token: string;
let projectId: string;
const keys: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  // Nothing but the faults may refuse a registration here.
  await db.sql`update vidsync.settings set max_devices_per_project = 100000, max_devices_per_member = 100000`;
  await db.sql`delete from vidsync.rate_limits`;
  watcher = postgres(db.url, { max: 1, onnotice: () => {} });
  stateDir = await mkdtemp(join(tmpdir(), 'vidsync-faults-'));
  functions = await startLocalFunctions({ dbUrl: db.url, port: 0, stateDir });
  token = (await functions.userToken('faults@example.com')).accessToken;
  const res = await fetch(`${functions.functionsUrl}/nebula/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Faults', subnet: '10.77.0.0/20' }),
  });
  expect(res.status).toBe(201);
  projectId = ((await res.json()) as { projectId: string }).projectId;
  for (let i = 0; i < 64; i++) keys.push((await newDeviceKey()).publicKeyPem);
});
afterAll(async () => {
  await functions?.stop();
  await watcher?.end({ timeout: 1 });
  await db?.drop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

interface Attempt {
  deviceId: string;
  status: number | 'no answer';
}

function registerOne(): Promise<Attempt> {
  const deviceId = crypto.randomUUID();
  return fetch(`${functions.functionsUrl}/nebula/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ projectId, deviceId, deviceName: `victim ${deviceId}`, publicKey: keys[Math.floor(Math.random() * keys.length)] }),
  }).then(
    async (res) => {
      // The process may be killed while the body streams: the status line
      // (sent after the commit) is the answer; the cut body is not.
      await res.arrayBuffer().catch(() => undefined);
      return { deviceId, status: res.status };
    },
    () => ({ deviceId, status: 'no answer' as const }),
  );
}

/** Backends of this database in a transaction that has written: registrations past their allocation. */
async function writers(): Promise<number[]> {
  const rows = await watcher<{ pid: number }[]>`
    select pid from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null`;
  return rows.map((r) => r.pid);
}

/** Polls until some registration has written (or `ms` pass); true when one has. */
async function untilWriting(ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await writers()).length > 0) return true;
  }
  return false;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a registration killed between allocation and commit', () => {
  it('leaves nothing behind, whether its connection is dropped or its process killed', async () => {
    const attempts: Attempt[] = [];
    let terminated = 0;
    let killed = 0;

    // 1. The database drops the connection, at a random moment after the write.
    // The function lives through it (it used to die with the first one: nebula/db.ts).
    const pid = functions.pid;
    const phaseEnd = Date.now() + TERMINATION_PHASE_MS;
    while (terminated < TERMINATIONS && Date.now() < phaseEnd) {
      const inFlight = Array.from({ length: IN_FLIGHT }, registerOne);
      if (await untilWriting(500)) {
        await pause(Math.random() * 8);
        const [row] = await watcher<{ n: number }[]>`
          select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null`;
        terminated += row!.n;
      }
      attempts.push(...(await Promise.all(inFlight)));
    }

    expect(terminated).toBeGreaterThanOrEqual(TERMINATIONS);
    expect(attempts.filter((a) => a.status === 'no answer')).toEqual([]);
    expect((await registerOne()).status).toBe(200);
    expect(functions.pid).toBe(pid);

    // 2. The function's process is killed, then started again.
    for (let round = 0; round < PROCESS_KILLS; round++) {
      const inFlight = Array.from({ length: IN_FLIGHT }, registerOne);
      if (await untilWriting(2000)) {
        await pause(Math.random() * 8);
        process.kill(functions.pid, 'SIGKILL');
        killed++;
      }
      attempts.push(...(await Promise.all(inFlight)));
      await functions.stop();
      // Postgres notices the dead client and rolls its transactions back.
      const deadline = Date.now() + 10_000;
      while ((await writers()).length > 0 && Date.now() < deadline) await pause(20);
      functions = await startLocalFunctions({ dbUrl: db.url, port: 0, stateDir });
      // Tokens name the auth server's URL, which moved with the new port.
      token = (await functions.userToken('faults@example.com')).accessToken;
    }

    expect(killed).toBe(PROCESS_KILLS);
    // Some registrations did get through in between, and some were cut off.
    expect(attempts.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(attempts.filter((a) => a.status !== 200).length).toBeGreaterThan(0);
    expect(attempts.filter((a) => typeof a.status === 'number' && a.status >= 400 && a.status < 500)).toEqual([]);

    // The function serves again.
    expect((await registerOne()).status).toBe(200);

    // Nothing behind: every invariant holds, every device has its certificate,
    // and every registration answered 200 holds its address.
    expect(await brokenInvariants(db.sql)).toEqual([]);
    const orphans = await db.sql`
      select d.id from vidsync.devices d where not exists (select 1 from vidsync.issued_certificates c where c.device_id = d.id)`;
    expect(orphans).toEqual([]);
    const answered = attempts.filter((a) => a.status === 200).map((a) => a.deviceId);
    const [held] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from vidsync.devices where id = any(${answered}::uuid[]) and overlay_ip is not null`;
    expect(held!.n).toBe(answered.length);
    const [stats] = await db.sql<{ total: number; used: number; free: number; cooling: number; devices: number }[]>`
      select s.*, (select count(*)::int from vidsync.devices where project_id = ${projectId} and overlay_ip is not null) as devices
        from public.project_pool_stats(${projectId}) s`;
    expect(stats!.used).toBe(stats!.devices);
    expect(stats!.used + stats!.free + stats!.cooling).toBe(stats!.total);
    expect(stats!.cooling).toBe(0);
  });
});
