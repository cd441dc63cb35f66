// `npm run bench:e2e`: TCP throughput between two devices over the Nebula
// overlay against the plain underlay between the same two namespaces, measured
// in the same run with iperf3. Information only, not an assertion.
// Needs root, nebula, nebula-cert, iproute2 and iperf3.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { binary, isRoot, missing } from '../../tests/support/requirements.ts';
import { createCliProject, startCliNode } from '../e2e/cli-project.ts';
import { waitForPing } from '../e2e/nebula-host.ts';
import { sweepStale, Underlay, type UnderlayHost } from '../e2e/netns.ts';

const SECONDS = 5;

export async function run(): Promise<void> {
  const reason = missing(isRoot, binary('nebula'), binary('nebula-cert'), binary('ip'), binary('iperf3'));
  if (reason) return;
  sweepStale();
  const dir = await mkdtemp(join(tmpdir(), 'vidsync-bench-e2e-'));
  const underlay = await Underlay.create();
  try {
    const [lh, a, b] = [await underlay.addHost('lh1'), await underlay.addHost('a'), await underlay.addHost('b')];
    const project = await createCliProject(dir, {
      name: 'p1',
      overlay24: '10.71.0',
      lighthouse: lh,
      devices: [{ host: a, octet: 11 }, { host: b, octet: 12 }],
    });
    for (const node of [project.lighthouse, project.devices.a!, project.devices.b!]) await startCliNode(underlay, project, node);
    const bOverlay = project.devices.b!.overlayIp;
    await waitForPing(a, bOverlay, { timeoutMs: 10_000 });

    // Listens on every address in B's namespace, underlay and overlay alike.
    underlay.spawn(b, 'iperf3', ['-s'], { stdio: 'ignore' });
    const underlayBps = await iperf(underlay, a, b.ip);
    const overlayBps = await iperf(underlay, a, bOverlay);

    const rows = [
      ['path', 'Mbit/s', 'vs underlay'],
      [`underlay ${a.ip} → ${b.ip}`, mbit(underlayBps), '1.00'],
      [`overlay  ${project.devices.a!.overlayIp} → ${bOverlay}`, mbit(overlayBps), (overlayBps / underlayBps).toFixed(2)],
    ];
    console.log(`iperf3 TCP, ${SECONDS} s each, A → B (nebula 1.6.1, veth + bridge in namespaces)`);
    printTable(rows);
  } finally {
    await underlay.destroy();
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
