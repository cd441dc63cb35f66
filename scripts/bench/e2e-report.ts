// The figures `npm run bench:e2e` prints: throughput and ratios against the
// goals of issue 13, then where the CPU went and what was lost on the way.
import type { CpuSplit } from './e2e-cpu.ts';

/** One link and nebula.yml variant: medians in MB/s, and what the meters saw during the overlay runs. */
export interface Row {
  link: string;
  variant: string;
  direct?: number;
  overlay?: number;
  iperfUnderlay?: number;
  iperfOverlay?: number;
  cpu?: CpuSplit;
  /** nebula's CPU while iperf3 ran over the overlay: what nebula alone costs per byte. */
  iperfCpu?: CpuSplit;
  losses?: { udpDropRate: number; tcpRetransRate: number };
}

export function printReport(rows: readonly Row[], options: { readonly sizeMb: number; readonly runs: number; readonly seconds: number }): void {
  console.log(
    `\n${options.sizeMb} MB file A → B, Syncthing 1.19 configured over REST, SHA-256 checked; iperf3 TCP ${options.seconds} s; ` +
      `medians of ${options.runs}; MB/s = 10^6 bytes/s; nebula 1.6.1, SDK-installed bundles; links shaped with tbf on A's egress`,
  );
  printTable([
    ['link', 'nebula.yml', 'ST direct', 'ST overlay', 'iperf3 underlay', 'iperf3 overlay', 'overlay/direct', 'ST/iperf3 overlay'],
    ...rows.map((r) => [r.link, r.variant, fmt(r.direct), fmt(r.overlay), fmt(r.iperfUnderlay), fmt(r.iperfOverlay), ratio(r.overlay, r.direct), ratio(r.overlay, r.iperfOverlay)]),
  ]);
  console.log('goals: overlay/direct >= 0.95 at 100 Mbit/s; Syncthing/iperf3 over the overlay >= 0.9 on faster links');
  console.log(
    `\nDuring the overlay transfers: CPU in cores of ${rows[0]?.cpu?.cores ?? '?'} (machine-wide figures include other load); ` +
      `UDP datagrams B's nebula socket dropped (buffer full), TCP segments A's Syncthing resent`,
  );
  printTable([
    ['link', 'nebula.yml', 'nebula user', 'nebula kernel', 'nebula A', 'nebula B', 'syncthing user', 'syncthing kernel', 'softirq', 'machine busy', 'UDP drops', 'TCP retrans'],
    ...rows.map((r) => {
      const c = r.cpu!;
      const cores = [c.groups.nebula!.user, c.groups.nebula!.system, total(c, 'nebulaA'), total(c, 'nebulaB'), c.groups.syncthing!.user, c.groups.syncthing!.system, c.softirq, c.busy].map((x) => x.toFixed(2));
      return [r.link, r.variant, ...cores, percent(r.losses!.udpDropRate), percent(r.losses!.tcpRetransRate)];
    }),
  ]);
  console.log('\nCPU seconds per GB carried over the overlay (both ends): nebula under Syncthing, nebula under iperf3, Syncthing itself');
  printTable([
    ['link', 'nebula.yml', 'nebula (Syncthing)', 'nebula (iperf3)', 'Syncthing'],
    ...rows.map((r) => {
      const perGb = (c: CpuSplit, group: string, mbps: number) => ((total(c, group) / mbps) * 1000).toFixed(1);
      return [r.link, r.variant, perGb(r.cpu!, 'nebula', r.overlay!), perGb(r.iperfCpu!, 'nebula', r.iperfOverlay!), perGb(r.cpu!, 'syncthing', r.overlay!)];
    }),
  ]);
  for (const r of rows.filter((row) => row.link === '1000 Mbit/s')) console.log(`1000 Mbit/s (${r.variant}): ${limitOf(r)}`);
}

/** What bounds the overlay at this link: the link itself, or the CPU (and whose). */
function limitOf(r: Row): string {
  const c = r.cpu!;
  const nebula = total(c, 'nebula');
  const syncthing = total(c, 'syncthing');
  const linkMBps = r.link.endsWith('Mbit/s') ? Number.parseInt(r.link, 10) / 8 : Infinity;
  const share = (x: number) => `${((x / c.busy) * 100).toFixed(0)} %`;
  const where =
    `nebula A (sends) ${total(c, 'nebulaA').toFixed(2)} and B (receives) ${total(c, 'nebulaB').toFixed(2)} cores, together ${nebula.toFixed(2)} (${share(nebula)} of the busy time, ${((c.groups.nebula!.system / nebula) * 100).toFixed(0)} % of it in the kernel), ` +
    `syncthing ${syncthing.toFixed(2)} (${share(syncthing)}), softirq ${c.softirq.toFixed(2)}, machine ${c.busy.toFixed(2)} of ${c.cores}`;
  if ((r.overlay ?? 0) >= 0.9 * linkMBps) return `the link sets the limit; ${where}`;
  return `the CPU sets the limit (${fmt(r.overlay)} MB/s on a ${linkMBps.toFixed(0)} MB/s link; the machine is ${c.busy >= 0.9 * c.cores ? 'saturated' : 'not saturated: the steps of the packet path wait for each other on shared cores'}); ${where}`;
}

function fmt(x: number | undefined): string {
  return x === undefined ? '-' : x.toFixed(1);
}

/** User + kernel cores of one group. */
function total(c: CpuSplit, group: string): number {
  return c.groups[group]!.user + c.groups[group]!.system;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function ratio(x: number | undefined, y: number | undefined): string {
  return x === undefined || y === undefined ? '-' : (x / y).toFixed(2);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}
