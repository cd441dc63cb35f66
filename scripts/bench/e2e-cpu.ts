// Where the CPU goes during a transfer: user and kernel time of given
// processes (/proc/<pid>/stat utime, stime) and the machine's softirq and
// busy time (/proc/stat), as cores (CPU seconds per wall second).
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

export interface ProcessTimes {
  readonly user: number;
  readonly system: number;
}

export interface MachineTimes {
  /** Every CPU's busy seconds (all but idle and iowait). */
  readonly busy: number;
  /** Interrupt and softirq seconds: packet processing outside any process's own time. */
  readonly softirq: number;
  readonly cores: number;
}

/** utime and stime of one process, in seconds (0 for a process that is gone). */
export function processTimes(pid: number): ProcessTimes {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { user: 0, system: 0 };
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from 1 with pid and comm as 1 and 2.
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}

export function machineTimes(): MachineTimes {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const total = lines[0]!.split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = total as [number, number, number, number, number, number, number, number];
  return {
    busy: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND,
    softirq: (irq + softirq) / TICKS_PER_SECOND,
    cores: lines.filter((l) => /^cpu\d+ /.test(l)).length,
  };
}

/** Named groups of processes (e.g. "nebula": both nebula pids). */
export type Groups = Readonly<Record<string, readonly number[]>>;

export interface CpuSplit {
  readonly wallSeconds: number;
  /** Per group: cores used in user and kernel mode. */
  readonly groups: Record<string, ProcessTimes>;
  readonly softirq: number;
  readonly busy: number;
  readonly cores: number;
}

/** Accumulates CPU time over several windows (start/stop pairs), e.g. the transfers of one case. */
export class CpuMeter {
  private readonly groups: Groups;
  private wall = 0;
  private readonly sums: Record<string, { user: number; system: number }> = {};
  private machine = { busy: 0, softirq: 0, cores: 0 };
  private open: { at: number; groups: Record<string, ProcessTimes>; machine: MachineTimes } | undefined;

  constructor(groups: Groups) {
    this.groups = groups;
    for (const name of Object.keys(groups)) this.sums[name] = { user: 0, system: 0 };
  }

  start(): void {
    this.open = { at: performance.now(), groups: this.read(), machine: machineTimes() };
  }

  stop(): void {
    if (!this.open) return;
    const now = this.read();
    const machine = machineTimes();
    this.wall += (performance.now() - this.open.at) / 1000;
    for (const name of Object.keys(this.groups)) {
      this.sums[name]!.user += now[name]!.user - this.open.groups[name]!.user;
      this.sums[name]!.system += now[name]!.system - this.open.groups[name]!.system;
    }
    this.machine.busy += machine.busy - this.open.machine.busy;
    this.machine.softirq += machine.softirq - this.open.machine.softirq;
    this.machine.cores = machine.cores;
    this.open = undefined;
  }

  /** Averages over every window so far, in cores. */
  split(): CpuSplit {
    const per = (s: number) => (this.wall > 0 ? s / this.wall : 0);
    const groups: Record<string, ProcessTimes> = {};
    for (const [name, s] of Object.entries(this.sums)) groups[name] = { user: per(s.user), system: per(s.system) };
    return { wallSeconds: this.wall, groups, softirq: per(this.machine.softirq), busy: per(this.machine.busy), cores: this.machine.cores };
  }

  private read(): Record<string, ProcessTimes> {
    const out: Record<string, ProcessTimes> = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      const times = pids.map(processTimes);
      out[name] = { user: sum(times.map((t) => t.user)), system: sum(times.map((t) => t.system)) };
    }
    return out;
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
