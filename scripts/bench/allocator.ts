// Allocator benchmark (`npm run bench allocator`, or `npx tsx scripts/bench/allocator.ts`):
// allocations per second at concurrency 1 and 32, and the latency of one
// allocation in an empty vs a 99 %-full /16 pool. The goal is that a full
// pool costs no more than 1.5× an empty one: the allocator starts its search
// above the highest taken address, where the free-address index holds only
// live entries, so neither the fill nor the dead entries a fill leaves behind
// (until vacuum) lengthen it. Runs on a throwaway
// embedded Postgres (or a fresh database on DATABASE_URL).
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { pathToFileURL } from 'node:url';
import { startLocalStack } from '../local-stack/index.ts';

const SEQUENTIAL = 500;
const CONCURRENT = 3_000;
const CONCURRENCY = 32;
const LATENCY_SAMPLES = 200;
const FILL = 0.99;

export async function run(): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_${Date.now().toString(36)}` });
  const sql = postgres(stack.dbUrl, { max: CONCURRENCY, onnotice: () => {} });
  try {
    const [user] = await sql<{ id: string }[]>`
      insert into auth.users (id, email) values (gen_random_uuid(), 'bench@example.com') returning id`;
    const owner = user!.id;

    // Throughput, into an empty /16.
    const throughputProject = await createProject(sql, owner, '10.20.0.0/16');
    const seqDevices = await addDevices(sql, throughputProject, owner, SEQUENTIAL);
    let t0 = performance.now();
    for (const d of seqDevices) await allocate(sql, throughputProject, d);
    const seqRate = SEQUENTIAL / ((performance.now() - t0) / 1000);

    const conDevices = await addDevices(sql, throughputProject, owner, CONCURRENT);
    await Promise.all(Array.from({ length: CONCURRENCY }, () => sql`select 1`)); // open the connections
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < conDevices.length) await allocate(sql, throughputProject, conDevices[next++]!);
      }),
    );
    const conRate = CONCURRENT / ((performance.now() - t0) / 1000);

    // Latency: empty /16, then 99 % full (just filled, and after VACUUM).
    const emptyProject = await createProject(sql, owner, '10.21.0.0/16');
    const emptyMedian = await medianAllocation(sql, emptyProject, owner);

    const fullProject = await createProject(sql, owner, '10.22.0.0/16');
    const filled = await fillPool(sql, fullProject, owner, FILL);
    const fullMedian = await medianAllocation(sql, fullProject, owner);
    await sql`vacuum analyze vidsync.ip_pool`;
    const vacuumedMedian = await medianAllocation(sql, fullProject, owner);

    // Exhausted: every chunk written and taken; the refusal must come at once, not after a scan.
    const exhaustedProject = await createProject(sql, owner, '10.23.0.0/16');
    await fillPool(sql, exhaustedProject, owner, 1);
    await sql`vacuum analyze vidsync.ip_pool`;
    const refusalMedian = await medianAllocation(sql, exhaustedProject, owner, 'VS001');

    const ms = (x: number) => `${x.toFixed(3)} ms`;
    console.log(`allocator: ${CONCURRENT + SEQUENTIAL} allocations into a /16, then ${LATENCY_SAMPLES} timed one by one per pool`);
    console.table([
      { measure: 'allocations/s, concurrency 1', value: Math.round(seqRate), 'vs reference': '(reference)' },
      { measure: `allocations/s, concurrency ${CONCURRENCY}`, value: Math.round(conRate), 'vs reference': `${(conRate / seqRate).toFixed(2)}×` },
      { measure: 'one allocation, empty /16 (median)', value: ms(emptyMedian), 'vs reference': '(reference)' },
      { measure: `one allocation, ${filled} of 65534 taken (median)`, value: ms(fullMedian), 'vs reference': `${(fullMedian / emptyMedian).toFixed(2)}×` },
      { measure: '… same pool after VACUUM (median)', value: ms(vacuumedMedian), 'vs reference': `${(vacuumedMedian / emptyMedian).toFixed(2)}× (goal ≤ 1.5×)` },
      { measure: 'VS001 from a full /16 (median)', value: ms(refusalMedian), 'vs reference': `${(refusalMedian / emptyMedian).toFixed(2)}×` },
    ]);
  } finally {
    await sql.end();
    if (external) {
      const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${new URL(stack.dbUrl).pathname.slice(1)} with (force)`).finally(() => admin.end());
    }
    await stack.stop();
  }
}

async function createProject(sql: Sql, owner: string, subnet: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('bench', ${subnet}::cidr, ${owner})`;
  return row!.id;
}

async function addDevices(sql: Sql, project: string, owner: string, count: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into vidsync.devices (id, project_id, owner_id, name, public_key)
    select gen_random_uuid(), ${project}, ${owner}, 'bench ' || gen_random_uuid(), 'key' from generate_series(1, ${count}::int)
    returning id`;
  return rows.map((r) => r.id);
}

// As the SQL editor calls it: one statement, its own transaction.
async function allocate(sql: Sql, project: string, device: string): Promise<void> {
  await sql`select vidsync_api.allocate_nebula_ip(${project}, ${device}, null)`;
}

async function medianAllocation(sql: Sql, project: string, owner: string, expect?: 'VS001'): Promise<number> {
  const devices = await addDevices(sql, project, owner, LATENCY_SAMPLES);
  const attempt = (d: string) =>
    expect ? allocate(sql, project, d).then(() => { throw new Error('allocated from a full pool'); }, (e: { code?: string }) => { if (e.code !== expect) throw e; }) : allocate(sql, project, d);
  await attempt(devices.pop()!); // warm the plan cache of this connection... one of them
  const times: number[] = [];
  for (const d of devices) {
    const t0 = performance.now();
    await attempt(d);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// Takes the lowest `fraction` of the pool at once, as if allocated in order
// (the allocator's own order): set-based, so the fill takes a second, not minutes.
async function fillPool(sql: Sql, project: string, owner: string, fraction: number): Promise<number> {
  // The pool is written in chunks as allocations need them; write all of it first, as a long-used pool would be.
  await sql`select vidsync_api.populate_project_pool(id, subnet) from vidsync.projects where id = ${project}`;
  const [pool] = await sql<{ n: number }[]>`select count(*)::int as n from vidsync.ip_pool where project_id = ${project}`;
  const count = Math.floor(pool!.n * fraction);
  await sql.begin(async (tx) => {
    await tx`
      insert into vidsync.devices (id, project_id, owner_id, name, public_key)
      select gen_random_uuid(), ${project}, ${owner}, 'fill ' || g, 'key' from generate_series(1, ${count}::int) g`;
    // Without fresh statistics the planner joins 65k × 65k rows in a nested loop.
    await tx`analyze vidsync.devices, vidsync.ip_pool`;
    await tx`
      update vidsync.ip_pool p set device_id = x.device_id
      from (select a.ip, d.id as device_id
            from (select ip, row_number() over (order by ip) as rn from vidsync.ip_pool where project_id = ${project}) a
            join (select id, row_number() over (order by id) as rn from vidsync.devices where project_id = ${project} and name like 'fill %') d
              using (rn)) x
      where p.project_id = ${project} and p.ip = x.ip`;
    await tx`
      insert into vidsync.ip_allocations (project_id, ip, device_id)
      select project_id, ip, device_id from vidsync.ip_pool where project_id = ${project} and device_id is not null`;
    await tx`
      update vidsync.devices d set overlay_ip = p.ip from vidsync.ip_pool p
      where p.device_id = d.id and p.project_id = ${project}`;
  });
  return count;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
