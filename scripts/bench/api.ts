// Register benchmark (`npm run bench api`, or `npx tsx scripts/bench/api.ts`):
// latency of POST /nebula/register at concurrency 1 (p50, p99), throughput at
// concurrency 32, and the function's CPU time per registration (from
// /proc/<deno pid>/stat), on the real stack: embedded Postgres, the function
// under Deno, supabase-js-shaped HTTP requests. The reference measured in the
// same run is a request that only passes the JWT check and the router (a GET
// of the project's CA), so the table shows what registering adds to a call.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLocalStack } from '../local-stack/index.ts';
import { startLocalFunctions } from '../local-functions/start.ts';
import { generateX25519KeyPair, x25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';

const WARMUP = 50;
const SEQUENTIAL = 300;
const CONCURRENT = 2_000;
const CONCURRENCY = 32;
const GOALS = { p50Ms: 10, perSecond: 300, cpuMs: 5 };

export async function run(): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_api_${Date.now().toString(36)}` });
  const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-bench-api-'));
  const functions = await startLocalFunctions({ dbUrl: stack.dbUrl, port: 0, stateDir });
  try {
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

    console.log(`register on the local stack (Deno ${functions.pid}, embedded Postgres), ${SEQUENTIAL} sequential, ${CONCURRENT} at concurrency ${CONCURRENCY}`);
    console.table([
      { measure: 'p50 latency, c=1 (ms)', register: round(sequential.p50), 'reference: GET /ca': round(reference.p50), ratio: round(sequential.p50 / reference.p50), goal: `≤ ${GOALS.p50Ms}`, met: sequential.p50 <= GOALS.p50Ms },
      { measure: 'p99 latency, c=1 (ms)', register: round(sequential.p99), 'reference: GET /ca': round(reference.p99), ratio: round(sequential.p99 / reference.p99), goal: '', met: '' },
      { measure: `throughput, c=${CONCURRENCY} (req/s)`, register: Math.round(perSecond), 'reference: GET /ca': '', ratio: '', goal: `≥ ${GOALS.perSecond}`, met: perSecond >= GOALS.perSecond },
      { measure: 'function CPU per registration (ms)', register: round(cpuPerRegistration), 'reference: GET /ca': '', ratio: '', goal: `≤ ${GOALS.cpuMs}`, met: cpuPerRegistration <= GOALS.cpuMs },
    ]);
  } finally {
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

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
