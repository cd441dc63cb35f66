// Tenants benchmark (`npm run bench tenants`, or `npx tsx scripts/bench/tenants.ts`):
// what one tenant's project creations cost everyone else, on the real stack
// (embedded Postgres, the function under Deno with its default pool).
//
//   1. Creating a /16 vs a /24 through POST /projects (p50), and the SQL
//      step alone (vidsync_api.create_project): the pool is written in chunks,
//      so the two cost the same. Before, a /16 wrote 65,534 rows under a lock
//      every creation shared.
//   2. Fairness: tenant B reads GET /status/:id in a loop for 2 s; tenant A fires
//      bursts of 16 concurrent creations of /16s, ignoring Retry-After. B's
//      latency with the bursts vs without them (the reference, measured in
//      the same run). Goal: ≤ 2× at p50. A burst every 100 ms with the
//      default limits (cut at the bucket's capacity, then 429), the same with
//      A's limit lifted (every creation runs), and bursts back to back (a
//      flood of refusals: each still costs a token check or less, and the
//      audit row the function writes for every refusal).
//   3. Automatic subnets when the owner's part of the range is 1 %, 50 % and
//      99 % full (a /16 range of 256 blocks): the cost of create_project.
//      Goal: flat.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { startLocalStack } from '../local-stack/index.ts';
import { startLocalFunctions } from '../local-functions/start.ts';
import { generateX25519KeyPair, x25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';

const CREATIONS = 40;
/** How long B reads in each phase; A starts its bursts WARMUP_MS before B's phase, so B sees A's steady state. */
const PHASE_MS = 2_000;
const WARMUP_MS = 500;
const BURST = 16;
const FILL_SAMPLES = 200;
const ROLLBACK = Symbol('rollback');

export async function run(): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_tenants_${Date.now().toString(36)}` });
  const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
  const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-bench-tenants-'));
  const functions = await startLocalFunctions({ dbUrl: stack.dbUrl, port: 0, stateDir });
  try {
    // Creations are what this measures, not the quota: every user here may own many projects.
    // B's own read limit is not what this measures either.
    await sql`update vidsync.settings set max_projects_per_user = 100000`;
    await sql`update vidsync.rate_limits set capacity = 1000000 where route_class = 'read'`;
    const call = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${functions.functionsUrl}/nebula/${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });
    /** Runs `step` in a transaction that rolls back: measured, nothing kept. */
    const rolledBack = async (step: (tx: postgres.TransactionSql) => Promise<unknown>) => {
      await sql.begin(async (tx) => {
        await step(tx);
        throw ROLLBACK;
      }).catch((e: unknown) => {
        if (e !== ROLLBACK) throw e;
      });
    };
    const create = async (token: string, subnet: string | undefined) => {
      const res = await call(token, 'projects', { method: 'POST', body: JSON.stringify({ name: 'bench', subnet }) });
      await res.arrayBuffer();
      return res.status;
    };

    // 1. /16 vs /24.
    const creator = await functions.userToken(`creator-${Date.now()}@example.com`);
    await sql`update vidsync.rate_limits set capacity = 1000000 where route_class = 'project_create'`;
    let third = 0;
    const slash24 = await timeEach(CREATIONS, async () => void (await create(creator.accessToken, `172.16.${third++}.0/24`)));
    let second = 0;
    const slash16 = await timeEach(CREATIONS, async () => void (await create(creator.accessToken, `10.${100 + second++}.0.0/16`)));
    const sqlOwner = await functions.userToken(`sql-${Date.now()}@example.com`);
    const sqlCreate = (subnet: string) => () => rolledBack((tx) => tx`select vidsync_api.create_project('bench', ${subnet}::cidr, ${sqlOwner.id})`);
    const [sql24, sql16] = (await timeInTurns(CREATIONS * 5, [sqlCreate('192.168.5.0/24'), sqlCreate('192.168.0.0/16')])) as [Timing, Timing];
    const [rows16] = await sql<{ n: number }[]>`
      select count(*)::int as n from vidsync.ip_pool p join vidsync.projects j on j.id = p.project_id where masklen(j.subnet) = 16`;

    console.log('creating a project: a /16 vs a /24 (p50 ms; the pool is written in chunks: 255 rows for a /16, 31 for a /24)');
    console.table([
      { step: 'POST /projects (HTTP, CA included)', '/24': round(slash24.p50), '/16': round(slash16.p50), ratio: round(slash16.p50 / slash24.p50) },
      { step: 'vidsync_api.create_project (SQL)', '/24': round(sql24.p50), '/16': round(sql16.p50), ratio: round(sql16.p50 / sql24.p50) },
    ]);
    console.log(`pool rows written for ${CREATIONS} /16 projects: ${rows16!.n} (eagerly: ${CREATIONS * 65_534})`);

    // 2. Fairness.
    const reader = await functions.userToken(`reader-${Date.now()}@example.com`);
    const created = await call(reader.accessToken, 'projects', { method: 'POST', body: JSON.stringify({ name: 'reader' }) });
    const { projectId } = (await created.json()) as { projectId: string };
    const deviceId = crypto.randomUUID();
    const publicKey = x25519PublicKeyToPem((await generateX25519KeyPair()).publicKey);
    const reg = await call(reader.accessToken, 'register', { method: 'POST', body: JSON.stringify({ projectId, deviceId, deviceName: 'reader', publicKey }) });
    if (reg.status !== 200) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const status = async () => {
      const res = await call(reader.accessToken, `status/${deviceId}`);
      if (res.status !== 200) throw new Error(`status: ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 50; i++) await status();

    /** A fires bursts of BURST concurrent creations, `pauseMs` apart, ignoring Retry-After, while B reads. */
    const withBursts = async (limited: boolean, pauseMs: number) => {
      const burster = await functions.userToken(`burster-${limited}-${pauseMs}-${Date.now()}@example.com`);
      await sql`update vidsync.rate_limits set capacity = ${limited ? 20 : 1000000}, refill_per_second = ${limited ? 1 / 60 : 1000} where route_class = 'project_create'`;
      let stop = false;
      const outcomes: Record<number, number> = {};
      // /16s while this user has free ones in 10/8 (a /16 costs what a /24 does: part 1), then automatic /24s.
      let slash16s = 0;
      const subnet = () => (slash16s < 250 ? `10.${++slash16s}.0.0/16` : undefined);
      const bursts = (async () => {
        while (!stop) {
          const statuses = await Promise.all(Array.from({ length: BURST }, () => create(burster.accessToken, subnet())));
          for (const s of statuses) outcomes[s] = (outcomes[s] ?? 0) + 1;
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        }
      })();
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const timing = await timeFor(PHASE_MS, status);
      stop = true;
      await bursts;
      return { timing, outcomes };
    };
    // Each case against B alone measured right before it: the machine's load drifts.
    const cases: Array<[string, boolean, number]> = [
      ['A: a burst every 100 ms, default limit', true, 100],
      ['A: a burst every 100 ms, limit lifted', false, 100],
      ['A: bursts back to back, default limit', true, 0],
    ];
    const rows = [];
    for (const [name, limited, pauseMs] of cases) {
      const before = await timeFor(PHASE_MS, status);
      rows.push(fairRow(name, await withBursts(limited, pauseMs), before));
    }
    console.log(`fairness: tenant B's GET /status (ms) next to tenant A's bursts of ${BURST} concurrent /16 creations vs B alone just before (function pool ${process.env.NEBULA_DB_POOL_SIZE ?? 'default'})`);
    console.table(rows);

    // 3. Automatic subnets at 1 %, 50 %, 99 % of the owner's range.
    // One owner per fill level, measured in turns so that the machine's noise falls on all three alike.
    await sql`update vidsync.settings set supernet = '10.200.0.0/16', auto_subnet_avoid = '{}'`;
    const levels = [];
    for (const percent of [1, 50, 99]) {
      const owner = await functions.userToken(`filler-${percent}-${Date.now()}@example.com`);
      const target = Math.ceil((256 * percent) / 100);
      for (let i = 0; i < target; i++) await sql`select vidsync_api.create_project('fill', null, ${owner.id})`;
      levels.push({ percent, target, owner: owner.id, samples: [] as number[] });
    }
    for (let i = 0; i < FILL_SAMPLES; i++) {
      for (const level of levels) {
        const t0 = performance.now();
        await rolledBack((tx) => tx`select vidsync_api.create_project('probe', null, ${level.owner})`);
        level.samples.push(performance.now() - t0);
      }
    }
    const fills = levels.map((l) => ({ percent: l.percent, target: l.target, timing: percentiles(l.samples) }));
    await sql`update vidsync.settings set supernet = default, auto_subnet_avoid = default`;
    console.log('automatic subnet: vidsync_api.create_project with the owner\'s part of a 256-block range 1 %, 50 %, 99 % full (ms)');
    console.table(
      fills.map((f) => ({
        fill: `${f.percent} % (${f.target} blocks taken)`,
        p50: round(f.timing.p50),
        p95: round(f.timing.p95),
        'ratio to 1 %': round(f.timing.p50 / fills[0]!.timing.p50),
        goal: 'flat (≤ 1.5×)',
        met: f.timing.p50 / fills[0]!.timing.p50 <= 1.5,
      })),
    );
  } finally {
    await sql.end({ timeout: 5 });
    await functions.stop();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

function fairRow(name: string, m: { timing: Timing; outcomes: Record<number, number> }, alone: Timing) {
  const ratio = m.timing.p50 / alone.p50;
  return {
    case: name,
    'alone p50': round(alone.p50),
    p50: round(m.timing.p50),
    p95: round(m.timing.p95),
    'p50 ratio': round(ratio),
    'p95 ratio': round(m.timing.p95 / alone.p95),
    'A: answers': Object.entries(m.outcomes).map(([s, n]) => `${n}×${s}`).join(' '),
    goal: '≤ 2×',
    met: ratio <= 2,
  };
}

type Timing = { p50: number; p95: number };

/** Calls `fn` one after the other for `ms` milliseconds. */
async function timeFor(ms: number, fn: () => Promise<void>): Promise<Timing> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples);
}

async function timeEach(n: number, fn: () => Promise<void>): Promise<Timing> {
  return (await timeInTurns(n, [fn]))[0]!;
}

/** Times each of `fns` n times, taking turns, so that noise falls on all alike. */
async function timeInTurns(n: number, fns: Array<() => Promise<void>>): Promise<Array<{ p50: number; p95: number }>> {
  const samples: number[][] = fns.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[k]!.push(performance.now() - t0);
    }
  }
  return samples.map(percentiles);
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]! };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
