// Register benchmark (`npm run bench api`, or `npx tsx scripts/bench/api.ts`):
// latency of POST /nebula/register at concurrency 1 (p50, p99), throughput at
// concurrency 32, and the function's CPU time per registration (from
// /proc/<deno pid>/stat), on the real stack: embedded Postgres, the function
// under Deno, supabase-js-shaped HTTP requests. The reference measured in the
// same run is a request that only passes the JWT check and the router (a GET
// of the project's CA), so the table shows what registering adds to a call.
// Next to it: the cost of the rate-limit check every request makes, and the
// device lifecycle's steady load: renewal (p50, throughput) and a heartbeat
// (latency, function CPU, and its cost in Postgres alone).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { startLocalStack } from '../local-stack/index.ts';
import { startLocalFunctions } from '../local-functions/start.ts';
import { generateX25519KeyPair, x25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';

const WARMUP = 50;
const SEQUENTIAL = 300;
const CONCURRENT = 2_000;
const CONCURRENCY = 32;
const GOALS = { p50Ms: 10, perSecond: 300, cpuMs: 5, rateLimitMs: 0.2 };
const RATE_LIMIT_LOOP = 5_000;
const RENEW_CONCURRENT = 1_000;
const HEARTBEAT_LOOP = 1_500;
/** Heartbeats of the project's devices that have not beaten yet, each in its own transaction, timed on the server. */
const HEARTBEAT_LOOP_FN = `
  create procedure vidsync_bench_heartbeat(p uuid, n integer, inout ms double precision default null, inout done integer default 0) language plpgsql as $$
  declare t0 timestamptz := clock_timestamp(); d uuid;
  begin
    for d in select id from vidsync.devices where project_id = p and heartbeat is null and overlay_ip is not null limit n loop
      perform vidsync_api.device_heartbeat(d, '{"nebulaVersion":"1.6.1","agentVersion":"0.1.0"}'::jsonb);
      commit;
      done := done + 1;
    end loop;
    ms := extract(epoch from clock_timestamp() - t0) * 1000;
  end $$`;
/**
 * A bench-only procedure (created in the bench's own database): n checks, alternating the user's bucket
 * and a project's, each in its own transaction as the function runs it, timed on the server.
 */
const RATE_LIMIT_LOOP_FN = `
  create procedure vidsync_bench_rate_limit(n integer, u uuid, p uuid, inout ms double precision default null) language plpgsql as $$
  declare t0 timestamptz := clock_timestamp();
  begin
    for i in 1..n loop
      if i % 2 = 0 then perform vidsync_api.take_rate_token('register', u, p); else perform vidsync_api.take_rate_token('register', u); end if;
      commit;
    end loop;
    ms := extract(epoch from clock_timestamp() - t0) * 1000;
  end $$`;

export async function run(): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_api_${Date.now().toString(36)}` });
  const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-bench-api-'));
  const functions = await startLocalFunctions({ dbUrl: stack.dbUrl, port: 0, stateDir });
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    // One user registering thousands of devices is what the quotas and rate limits refuse; here it is the load.
    await sql`update vidsync.settings set max_devices_per_member = 1000000, max_devices_per_project = 1000000`;
    await sql`update vidsync.rate_limits set capacity = 100000000`;
    const token = functions.users.alice.accessToken;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${functions.functionsUrl}/nebula/${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });
    const created = await call('projects', { method: 'POST', body: JSON.stringify({ name: 'bench', subnet: '10.30.0.0/16' }) });
    if (created.status !== 201) throw new Error(`create project: ${created.status} ${await created.text()}`);
    const { projectId } = (await created.json()) as { projectId: string };

    const keys = await Promise.all(Array.from({ length: WARMUP + SEQUENTIAL + CONCURRENT }, async () => x25519PublicKeyToPem((await generateX25519KeyPair()).publicKey)));
    let k = 0;
    const devices: string[] = [];
    const register = async (as: string = token) => {
      const deviceId = crypto.randomUUID();
      devices.push(deviceId);
      const res = await call('register', {
        method: 'POST',
        headers: { authorization: `Bearer ${as}` },
        // Names are unique among a project's live devices.
        body: JSON.stringify({ projectId, deviceId, deviceName: `bench device ${deviceId.slice(0, 8)}`, publicKey: keys[k++] }),
      });
      if (res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const readCa = async () => {
      const res = await call(`ca/${projectId}`);
      if (res.status !== 200) throw new Error(`ca: ${res.status}`);
      await res.arrayBuffer();
    };

    for (let i = 0; i < WARMUP; i++) await register();
    const reference = await timeEach(SEQUENTIAL, readCa);

    const cpuBefore = cpuMsOf(functions.pid);
    const sequential = await timeEach(SEQUENTIAL, register);
    const cpuPerRegistration = (cpuMsOf(functions.pid) - cpuBefore) / SEQUENTIAL;

    // Throughput is the server's: many members registering at once, as a
    // fleet does. (One user's burst is held to a share of the connections on
    // purpose, nebula/tenants.ts; scripts/bench/tenants.ts measures that.)
    const members = await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        const user = await functions.userToken(`bench-member-${i}@example.com`);
        await sql`select vidsync_api.add_project_member(${projectId}::uuid, ${user.id}::uuid, 'member')`;
        return user.accessToken;
      }),
    );
    const t0 = performance.now();
    let started = 0;
    await Promise.all(
      members.map(async (member) => {
        while (started++ < CONCURRENT) await register(member);
      }),
    );
    const perSecond = CONCURRENT / ((performance.now() - t0) / 1000);

    // The rate-limit check every request makes before its transaction: its cost in Postgres (a loop of
    // calls on the server, so no round trip counts), and as the function sees it (one statement) next to `select 1`.
    const user = functions.users.alice.id;
    await sql.unsafe(RATE_LIMIT_LOOP_FN);
    const [server] = await sql<{ ms: number }[]>`call vidsync_bench_rate_limit(${RATE_LIMIT_LOOP}, ${user}::uuid, ${projectId}::uuid)`;
    const perCheckMs = server!.ms / RATE_LIMIT_LOOP;
    const roundTrip = await timeEach(SEQUENTIAL, async () => void (await sql`select vidsync_api.take_rate_token('read', ${user})`));
    const selectOne = await timeEach(SEQUENTIAL, async () => void (await sql`select 1`));

    // Renewal: each device once (a retry within the idempotency window would return the same certificate).
    let r = 0;
    const renew = async () => {
      const res = await call(`renew/${devices[r++]}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`renew: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const renewCpuBefore = cpuMsOf(functions.pid);
    const renewSequential = await timeEach(SEQUENTIAL, renew);
    const cpuPerRenewal = (cpuMsOf(functions.pid) - renewCpuBefore) / SEQUENTIAL;
    const renewT0 = performance.now();
    const renewCount = Math.min(RENEW_CONCURRENT, devices.length - r);
    let renewStarted = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (renewStarted++ < renewCount) await renew();
      }),
    );
    const renewPerSecond = renewCount / ((performance.now() - renewT0) / 1000);

    // Heartbeat: each device's first (so every one is written), as the agent sends it.
    let h = 0;
    const beat = JSON.stringify({ nebulaVersion: '1.6.1', agentVersion: '0.1.0', fingerprint: 'a'.repeat(64) });
    const heartbeat = async () => {
      const res = await call(`heartbeat/${devices[h++]}`, { method: 'POST', body: beat });
      if (res.status !== 200) throw new Error(`heartbeat: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const beatCpuBefore = cpuMsOf(functions.pid);
    const heartbeats = await timeEach(SEQUENTIAL, heartbeat);
    const cpuPerHeartbeat = (cpuMsOf(functions.pid) - beatCpuBefore) / SEQUENTIAL;
    // In Postgres alone: the statement the function runs, for devices not beaten yet, each committed.
    await sql.unsafe(HEARTBEAT_LOOP_FN);
    const [beatServer] = await sql<{ ms: number; done: number }[]>`call vidsync_bench_heartbeat(${projectId}::uuid, ${HEARTBEAT_LOOP})`;
    const dbMsPerHeartbeat = beatServer!.ms / beatServer!.done;

    console.log(`register on the local stack (Deno ${functions.pid}, embedded Postgres), ${SEQUENTIAL} sequential, ${CONCURRENT} at concurrency ${CONCURRENCY}`);
    console.table([
      { measure: 'p50 latency, c=1 (ms)', register: round(sequential.p50), 'reference: GET /ca': round(reference.p50), ratio: round(sequential.p50 / reference.p50), goal: `≤ ${GOALS.p50Ms}`, met: sequential.p50 <= GOALS.p50Ms },
      { measure: 'p99 latency, c=1 (ms)', register: round(sequential.p99), 'reference: GET /ca': round(reference.p99), ratio: round(sequential.p99 / reference.p99), goal: '', met: '' },
      { measure: `throughput, c=${CONCURRENCY} (req/s)`, register: Math.round(perSecond), 'reference: GET /ca': '', ratio: '', goal: `≥ ${GOALS.perSecond}`, met: perSecond >= GOALS.perSecond },
      { measure: 'function CPU per registration (ms)', register: round(cpuPerRegistration), 'reference: GET /ca': '', ratio: '', goal: `≤ ${GOALS.cpuMs}`, met: cpuPerRegistration <= GOALS.cpuMs },
    ]);
    console.log(`the rate-limit check (vidsync_api.take_rate_token, a user's or a project's bucket): ${RATE_LIMIT_LOOP} checks in Postgres, each committed; ${SEQUENTIAL} statements from Node`);
    console.table([
      { measure: 'in Postgres, per check (ms)', 'rate-limit check': round(perCheckMs, 4), reference: '', goal: `≤ ${GOALS.rateLimitMs}`, met: perCheckMs <= GOALS.rateLimitMs },
      { measure: 'one statement from Node, p50 (ms)', 'rate-limit check': round(roundTrip.p50), reference: `select 1: ${round(selectOne.p50)}`, goal: '', met: '' },
      { measure: 'share of a registration (p50)', 'rate-limit check': `${round((100 * roundTrip.p50) / sequential.p50)} %`, reference: '', goal: '', met: '' },
    ]);
    console.log(`the device lifecycle: ${SEQUENTIAL} renewals sequential, ${renewCount} at concurrency ${CONCURRENCY}; ${SEQUENTIAL} heartbeats through the function, ${beatServer!.done} in Postgres alone`);
    console.table([
      { measure: 'p50 latency, c=1 (ms)', renew: round(renewSequential.p50), heartbeat: round(heartbeats.p50), 'reference: register': round(sequential.p50) },
      { measure: 'p99 latency, c=1 (ms)', renew: round(renewSequential.p99), heartbeat: round(heartbeats.p99), 'reference: register': round(sequential.p99) },
      { measure: `throughput, c=${CONCURRENCY} (req/s)`, renew: Math.round(renewPerSecond), heartbeat: '', 'reference: register': Math.round(perSecond) },
      { measure: 'function CPU per request (ms)', renew: round(cpuPerRenewal), heartbeat: round(cpuPerHeartbeat), 'reference: register': round(cpuPerRegistration) },
      { measure: 'Postgres time per heartbeat (ms)', renew: '', heartbeat: round(dbMsPerHeartbeat, 4), 'reference: register': '' },
    ]);
    // 100,000 devices beating every 60 s is ~1,700/s; one database core at this cost serves:
    const devicesPerCore = Math.floor((60 * 1000) / dbMsPerHeartbeat);
    console.log(`heartbeats: one Postgres core absorbs ${Math.round(1000 / dbMsPerHeartbeat)}/s, i.e. ${devicesPerCore.toLocaleString('en')} devices beating every 60 s (100,000 devices need ~1,700/s)`);
  } finally {
    await sql.end({ timeout: 5 });
    await functions.stop();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function timeEach(n: number, fn: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n * 0.5)]!, p99: samples[Math.min(n - 1, Math.floor(n * 0.99))]! };
}

/** User + system CPU time of a process, from /proc (Linux). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
