// Register benchmark (`npm run bench api`, or `npx tsx scripts/bench/api.ts`):
// latency of POST /nebula/register at concurrency 1 (p50, p99), throughput at
// concurrency 32, and the function's CPU time per registration (from
// /proc/<deno pid>/stat), on the real stack: embedded Postgres, the function
// under Deno, supabase-js-shaped HTTP requests. The reference measured in the
// same run is a request that only passes the JWT check and the router (a GET
// of the project's CA), so the table shows what registering adds to a call.
// Next to it: the cost of the rate-limit check every request makes.
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
    const register = async () => {
      const res = await call('register', {
        method: 'POST',
        body: JSON.stringify({ projectId, deviceId: crypto.randomUUID(), deviceName: 'bench device', publicKey: keys[k++] }),
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

    const t0 = performance.now();
    let started = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (started++ < CONCURRENT) await register();
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
