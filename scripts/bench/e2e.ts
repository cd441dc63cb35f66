// `npm run bench:e2e`: how fast a folder syncs between two devices over the
// Nebula overlay, against the same two Syncthings on the direct path, and
// against what nebula itself carries on the same link (iperf3 over the
// overlay), all in the same run on the same shaped links. Information only,
// not an assertion. Issue 13 §4 states the goals; README "Throughput" keeps
// the figures.
//
// The devices are provisioned the way the product does it: a throw-away local
// stack (embedded Postgres + the function under Deno), a project created
// through the API, and the lighthouse and devices A and B registered with the
// client SDK, each running its own bundle (the generated nebula.yml) in its
// own namespace. Syncthing 1.19 runs in A's and B's namespaces, configured
// over its REST API with the SDK's private-overlay options.
//
// For each link (A's egress shaped with tbf; unshaped is the bare veth):
//  - Syncthing, direct: A shares a folder holding one big random file with B,
//    B dials A's underlay address; timed from the share to the file's arrival
//    on B, SHA-256 checked. A's scan (hashing) happens before the clock starts.
//  - Syncthing over the overlay: the same, B dialling A's overlay address.
//  - iperf3 (TCP, A → B) over the underlay and over the overlay.
// Each is the median of --runs. --nebula adds variants of the devices'
// nebula.yml (nebula restarted on A and B between them), to compare tunings
// within one run: --nebula 'buf4m:listen.read_buffer=4194304,listen.write_buffer=4194304'.
//
// The folders live on tmpfs (/dev/shm) when there is one, so the disk is not
// what is measured. Needs root, nebula, iproute2 (ip, tc), iperf3, syncthing
// and curl; Node 20 needs --experimental-websocket for supabase-js (the npm
// script passes it).
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createClient } from '@supabase/supabase-js';
import YAML from 'yaml';
import { createProject, dialsPeer, NebulaClient, type Registration } from '../../client/src/index.ts';
import { binary, isRoot, missing } from '../e2e/requirements.ts';
import { startLocalStack } from '../local-stack/index.ts';
import { startLocalFunctions } from '../local-functions/start.ts';
import { NebulaHost, waitForPing } from '../e2e/nebula-host.ts';
import { sweepStale, Underlay, type UnderlayHost } from '../e2e/netns.ts';
import { BenchSyncthing, timedTransfer, type Path } from './e2e-syncthing.ts';
import { CpuMeter } from './e2e-cpu.ts';
import { printReport, type Row } from './e2e-report.ts';
import { LossMeter } from './e2e-netstat.ts';
import { writeRandomFile } from './e2e-files.ts';

const LIGHTHOUSE_PORT = DEFAULT_LIGHTHOUSE_PORT;
const MB = 1e6;

const USAGE = `usage: npm run bench:e2e -- [options]
Optional:
  --size-mb N     the file's size in MB (default 200; env BENCH_E2E_SIZE_MB)
  --runs N        runs per figure, the median is printed (default 3; env BENCH_E2E_RUNS)
  --rates LIST    links, e.g. unshaped,1000,100 (Mbit/s; the default; env BENCH_E2E_RATES)
  --seconds N     length of each iperf3 run (default 5)
  --nebula SPEC   a nebula.yml variant for the overlay, repeatable: 'name:key.path=value,...'
                  (the generated config unchanged is always measured first, as "shipped")`;

interface Options {
  readonly sizeMb: number;
  readonly runs: number;
  /** undefined: the bare veth. */
  readonly rates: readonly (number | undefined)[];
  readonly seconds: number;
  readonly variants: readonly Variant[];
}

interface Variant {
  readonly name: string;
  /** Dotted key paths of nebula.yml and YAML values. */
  readonly settings: Readonly<Record<string, unknown>>;
}


export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'size-mb': { type: 'string' },
      runs: { type: 'string' },
      rates: { type: 'string' },
      seconds: { type: 'string' },
      nebula: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string | undefined, fallback: number) => {
    const n = Number(text ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer: ${text}\n${USAGE}`);
    return n;
  };
  const rates = (values.rates ?? env.BENCH_E2E_RATES ?? 'unshaped,1000,100').split(',').map((r) => {
    if (r === 'unshaped') return undefined;
    return positive('rates', r, 0);
  });
  const variants: Variant[] = [{ name: 'shipped', settings: {} }];
  for (const spec of values.nebula ?? []) {
    const match = /^([\w-]+):(.+)$/.exec(spec);
    if (!match) throw new Error(`--nebula must be name:key=value,...: ${spec}\n${USAGE}`);
    const settings: Record<string, unknown> = {};
    for (const pair of match[2]!.split(',')) {
      const [key, value] = pair.split('=');
      if (!key || value === undefined) throw new Error(`--nebula setting must be key.path=value: ${pair}`);
      settings[key] = YAML.parse(value) as unknown;
    }
    variants.push({ name: match[1]!, settings });
  }
  return {
    sizeMb: positive('size-mb', values['size-mb'] ?? env.BENCH_E2E_SIZE_MB, 200),
    runs: positive('runs', values.runs ?? env.BENCH_E2E_RUNS, 3),
    rates,
    seconds: positive('seconds', values.seconds, 5),
    variants,
  };
}

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const options = parseOptions(argv);
  const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('tc'), binary('iperf3'), binary('syncthing'), binary('curl'));
  if (reason) return;
  const t0 = performance.now();
  const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  sweepStale();
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vidsync-bench-e2e-'));
  const bytes = options.sizeMb * MB;
  const source = join(dir, 'source.bin');
  const external = Boolean(process.env.DATABASE_URL);
  const stack = await startLocalStack({ ephemeral: !external, database: `vidsync_bench_e2e_${Date.now().toString(36)}` });
  const functions = await startLocalFunctions({ dbUrl: stack.dbUrl, port: 0, stateDir: join(dir, 'functions') });
  const underlay = await Underlay.create();
  try {
    const sha256 = await writeRandomFile(source, bytes);
    log(`${options.sizeMb} MB random file written; local stack up`);
    const [lh, a, b] = [await underlay.addHost('lh1'), await underlay.addHost('a'), await underlay.addHost('b')];
    const token = functions.users.alice.accessToken;
    const supabase = createClient(functions.supabaseUrl, functions.anonKey, { accessToken: async () => token });
    const { projectId } = await createProject(supabase, { name: 'bench e2e' });

    // Each host is a machine of its own: its own SDK directory. Lighthouse first,
    // so the devices' bundles name it.
    const register = (host: UnderlayHost, lighthouse: boolean): Promise<Registration> =>
      new NebulaClient({ supabase, baseDir: join(dir, host.name) }).register({
        projectId,
        deviceName: `bench ${host.name}`,
        ...(lighthouse ? { lighthouse: { endpoints: [`${host.ip}:${LIGHTHOUSE_PORT}`] } } : {}),
      });
    const regLh = await register(lh, true);
    await NebulaHost.start(underlay, lh, regLh.paths.config);
    const regA = await register(a, false);
    const regB = await register(b, false);
    const nebula = new NebulaPair(underlay, [
      { host: a, reg: regA, shipped: await readFile(regA.paths.config, 'utf8') },
      { host: b, reg: regB, shipped: await readFile(regB.paths.config, 'utf8') },
    ]);
    await nebula.apply(options.variants[0]!);
    log(`lighthouse, A (${regA.ip}) and B (${regB.ip}) registered, nebula up`);

    const [stA, stB] = await Promise.all([
      BenchSyncthing.start(underlay, { host: a, overlayIp: regA.ip, overlayCidr: regA.cidr }, dir),
      BenchSyncthing.start(underlay, { host: b, overlayIp: regB.ip, overlayCidr: regB.cidr }, dir),
    ]);
    const syncthingPids = [...(await stA.instance.processIds()), ...(await stB.instance.processIds())];
    log('syncthing up on A and B');
    // Listens on every address in B's namespace, underlay and overlay alike.
    underlay.spawn(b, 'iperf3', ['-s'], { stdio: 'ignore' });

    let folders = 0;
    // Moves the pair to a path: both listen only there, the dialling side
    // closes the old connection (pause) and gets the new address, unpaused.
    // Syncthing 1.19 redials at its next round, ~10 s later.
    const connect = async (path: Path) => {
      const [dialler, waiter] = dialsPeer(stA.deviceId, stB.deviceId) ? [stA, stB] : [stB, stA];
      await Promise.all([waiter.listenOn(path), dialler.listenOn(path)]);
      await dialler.pause(waiter);
      await waiter.setPeer(dialler, path);
      await dialler.setPeer(waiter, path);
      await dialler.waitForConnection(waiter, path === 'direct' ? waiter.device.host.ip : waiter.device.overlayIp, 30_000);
    };
    const transfers = async (label: string, meter?: { start(): void; stop(): void }) => {
      const speeds: number[] = [];
      for (let i = 0; i < options.runs; i++) {
        const seconds = await timedTransfer(
          { from: stA, to: stB, source, bytes, sha256, dir, folderId: `bench-${++folders}`, timeoutMs: 30_000 + bytes / MB * 1000 },
          meter,
        );
        speeds.push(bytes / MB / seconds);
        log(`${label}: ${speeds.at(-1)!.toFixed(1)} MB/s (${seconds.toFixed(2)} s)`);
      }
      return median(speeds);
    };
    const iperfs = async (label: string, ip: string, meter?: CpuMeter) => {
      const speeds: number[] = [];
      for (let i = 0; i < options.runs; i++) {
        meter?.start();
        speeds.push((await iperf(underlay, a, ip, options.seconds)) / 8 / MB);
        meter?.stop();
      }
      log(`${label}: ${speeds.map((s) => s.toFixed(1)).join(', ')} MB/s`);
      return median(speeds);
    };

    const rows: Row[] = [];
    try {
      for (const rate of options.rates) {
        const link = rate ? `${rate} Mbit/s` : 'unshaped';
        await shapeLink(underlay, a, rate);
        await connect('direct');
        const direct = await transfers(`${link}, Syncthing direct`);
        const iperfUnderlay = await iperfs(`${link}, iperf3 underlay`, b.ip);
        for (const variant of options.variants) {
          for (const line of await nebula.apply(variant)) log(line);
          await connect('overlay');
          const [nebulaA, nebulaB] = nebula.pids() as [number, number];
          const cpu = new CpuMeter({ nebula: [nebulaA, nebulaB], nebulaA: [nebulaA], nebulaB: [nebulaB], syncthing: syncthingPids });
          const losses = new LossMeter(stA.instance.pid!, stB.instance.pid!);
          const both = { start: () => (cpu.start(), losses.start()), stop: () => (cpu.stop(), losses.stop()) };
          const overlay = await transfers(`${link}, Syncthing overlay (${variant.name})`, both);
          const iperfCpu = new CpuMeter({ nebula: nebula.pids() });
          const iperfOverlay = await iperfs(`${link}, iperf3 overlay (${variant.name})`, regB.ip, iperfCpu);
          rows.push({ link, variant: variant.name, direct, overlay, iperfUnderlay, iperfOverlay, cpu: cpu.split(), iperfCpu: iperfCpu.split(), losses: losses.rates() });
        }
      }
    } catch (err) {
      for (const st of [stA, stB]) console.error(`--- syncthing ${st.device.host.name} (last 60 lines) ---\n${st.instance.logText().split('\n').slice(-60).join('\n')}`);
      throw err;
    }
    await shapeLink(underlay, a, undefined);

    printReport(rows, options);
  } finally {
    await underlay.destroy();
    await functions.stop();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Nebula on A and B, restarted with a variant of the shipped nebula.yml when asked for another. */
class NebulaPair {
  private readonly underlay: Underlay;
  private readonly nodes: { host: UnderlayHost; reg: Registration; shipped: string; running?: NebulaHost }[];
  private current: string | undefined;

  constructor(underlay: Underlay, nodes: { host: UnderlayHost; reg: Registration; shipped: string }[]) {
    this.underlay = underlay;
    this.nodes = nodes;
  }

  pids(): number[] {
    return this.nodes.map((n) => n.running?.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** (Re)starts both with the variant; returns what nebula logged about its settings (buffers, warnings). */
  async apply(variant: Variant): Promise<string[]> {
    const key = JSON.stringify(variant.settings);
    if (this.current === key) return [];
    const notes: string[] = [];
    for (const node of this.nodes) {
      await node.running?.stop();
      const doc = YAML.parseDocument(node.shipped);
      for (const [path, value] of Object.entries(variant.settings)) doc.setIn(path.split('.'), value);
      await writeFile(node.reg.paths.config, doc.toString(), { mode: 0o600 });
      node.running = await NebulaHost.start(this.underlay, node.host, node.reg.paths.config);
    }
    const [a, b] = this.nodes as [(typeof this.nodes)[0], (typeof this.nodes)[0]];
    await waitForPing(a.host, b.reg.ip, { timeoutMs: 15_000 });
    for (const node of this.nodes) {
      for (const e of node.running!.entries()) {
        if (e.level === 'warning' || e.level === 'error' || /buffer|routine/i.test(e.msg)) {
          notes.push(`nebula ${node.host.name} (${variant.name}): ${e.level} ${e.msg} ${Object.entries(e.fields).filter(([k]) => !['level', 'msg', 'time'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        }
      }
    }
    this.current = key;
    return notes;
  }
}

/** Received bits per second of one iperf3 TCP run from `from` to `ip`; retries while the server starts. */
async function iperf(underlay: Underlay, from: UnderlayHost, ip: string, seconds: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const result = await underlay.exec(from, 'iperf3', ['-c', ip, '-t', String(seconds), '-J'], {
      timeoutMs: (seconds + 15) * 1000,
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

/**
 * Token-bucket shaping of A's egress (both paths leave through it, and the
 * file goes A → B); undefined removes it.
 */
async function shapeLink(underlay: Underlay, host: UnderlayHost, rateMbit: number | undefined): Promise<void> {
  await underlay.exec(host, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root'], { allowFailure: true });
  if (rateMbit === undefined) return;
  await underlay.exec(host, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', '256kb', 'latency', '50ms']);
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
