// `npm run bench:e2e`: TCP throughput between two devices over the Nebula
// overlay against the plain underlay between the same two namespaces, measured
// in the same run with iperf3. Information only, not an assertion.
//
// The devices are provisioned the way the product does it: a throw-away local
// stack (embedded Postgres + the function under Deno), a project created
// through the API, and the lighthouse and devices A and B registered with the
// client SDK, each running its own bundle in its own namespace.
// Needs root, nebula, iproute2 (ip, tc) and iperf3; Node 20 needs --experimental-websocket
// for supabase-js (the npm script passes it).
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@supabase/supabase-js';
import { createProject, NebulaClient, type Registration } from '../../client/src/index.ts';
import { binary, isRoot, missing } from '../e2e/requirements.ts';
import { startLocalStack } from '../local-stack/index.ts';
import { startLocalFunctions } from '../local-functions/start.ts';
import { NebulaHost, waitForPing } from '../e2e/nebula-host.ts';
import { sweepStale, Underlay, type UnderlayHost } from '../e2e/netns.ts';

const SECONDS = 5;
/** undefined: the bare veth; then links as fast as a good LAN and as a good internet uplink. */
const LINK_RATES_MBIT: readonly (number | undefined)[] = [undefined, 1000, 100];
const LIGHTHOUSE_PORT = DEFAULT_LIGHTHOUSE_PORT;

export async function run(): Promise<void> {
  const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('tc'), binary('iperf3'));
  if (reason) return;
  sweepStale();
  const dir = await mkdtemp(join(tmpdir(), 'vidsync-bench-e2e-'));
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_e2e_${Date.now().toString(36)}` });
  const functions = await startLocalFunctions({ dbUrl: stack.dbUrl, port: 0, stateDir: join(dir, 'functions') });
  const underlay = await Underlay.create();
  try {
    const [lh, a, b] = [await underlay.addHost('lh1'), await underlay.addHost('a'), await underlay.addHost('b')];
    const token = functions.users.alice.accessToken;
    const supabase = createClient(functions.supabaseUrl, functions.anonKey, { accessToken: async () => token });
    const { projectId } = await createProject(supabase, { name: 'bench e2e' });

    // Each host is a machine of its own: its own SDK directory. Lighthouse first,
    // so the devices' bundles name it.
    const provision = async (host: UnderlayHost, lighthouse: boolean): Promise<Registration> => {
      const device = new NebulaClient({ supabase, baseDir: join(dir, host.name) });
      const reg = await device.register({
        projectId,
        deviceName: `bench ${host.name}`,
        ...(lighthouse ? { lighthouse: { endpoints: [`${host.ip}:${LIGHTHOUSE_PORT}`] } } : {}),
      });
      await NebulaHost.start(underlay, host, reg.paths.config);
      return reg;
    };
    await provision(lh, true);
    const regA = await provision(a, false);
    const regB = await provision(b, false);
    await waitForPing(a, regB.ip, { timeoutMs: 10_000 });

    // Listens on every address in B's namespace, underlay and overlay alike.
    underlay.spawn(b, 'iperf3', ['-s'], { stdio: 'ignore' });
    const rows = [['link A → B', 'underlay Mbit/s', 'overlay Mbit/s', 'overlay / underlay']];
    // In-memory veth runs at tens of Gbit/s, far above any real link, so the
    // raw ratio mostly measures nebula's encryption speed. Shaping A's link to
    // rates real devices have shows what the overlay costs on them.
    for (const rateMbit of LINK_RATES_MBIT) {
      await shapeLink(underlay, a, rateMbit);
      const underlayBps = await iperf(underlay, a, b.ip);
      const overlayBps = await iperf(underlay, a, regB.ip);
      rows.push([rateMbit ? `shaped to ${rateMbit} Mbit/s` : 'unshaped veth', mbit(underlayBps), mbit(overlayBps), (overlayBps / underlayBps).toFixed(2)]);
    }
    await shapeLink(underlay, a, undefined);
    console.log(`iperf3 TCP, ${SECONDS} s each, ${a.ip} → ${b.ip} (underlay) and ${regA.ip} → ${regB.ip} (overlay; nebula 1.6.1, SDK-installed bundles)`);
    printTable(rows);
  } finally {
    await underlay.destroy();
    await functions.stop();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Received bits per second of one iperf3 TCP run from `from` to `ip`; retries while the server starts. */
async function iperf(underlay: Underlay, from: UnderlayHost, ip: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const result = await underlay.exec(from, 'iperf3', ['-c', ip, '-t', String(SECONDS), '-J'], {
      timeoutMs: (SECONDS + 15) * 1000,
      allowFailure: true,
    });
    if (result.code === 0) {
      const report = JSON.parse(result.stdout) as { end: { sum_received: { bits_per_second: number } } };
      return report.end.sum_received.bits_per_second;
    }
    if (attempt >= 10) throw new Error(`iperf3 to ${ip} failed: ${result.stdout.slice(0, 500)} ${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Token-bucket shaping of A's egress (both paths leave through it); undefined removes it. */
async function shapeLink(underlay: Underlay, host: UnderlayHost, rateMbit: number | undefined): Promise<void> {
  await underlay.exec(host, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root'], { allowFailure: true });
  if (rateMbit === undefined) return;
  await underlay.exec(host, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', '256kb', 'latency', '50ms']);
}

function mbit(bps: number): string {
  return (bps / 1e6).toFixed(0);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
