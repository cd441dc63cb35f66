// Runs a real `nebula` process inside an underlay namespace and answers the
// questions an end-to-end test asks about it: is its tun device up, which
// peers did it complete a handshake with, which certificates did it refuse,
// can one host ping another over the overlay and how long did that take.
//
// What we rely on in nebula 1.6.1's log (handshake_ix.go, logging.level info;
// JSON or logrus text format both parse):
//  - "Handshake message received" with field vpnIp: logged only after the
//    peer's certificate passed verification against our CA — on the responder
//    at stage 1, on the initiator at stage 2 (tunnel complete; carries
//    durationNs). When the handshake came through a relay, udpAddr is empty
//    (JSON null, text "<nil>").
//  - "Handshake message sent" with field relay on a responder answering via a relay.
//  - "Invalid certificate from host" with field udpAddr: a handshake refused
//    because the peer's cert does not verify (e.g. signed by another CA).
//  - "Handshake timed out": an initiator gave up.
import { readFile } from 'node:fs/promises';
import { execFile, type ChildProcess } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import type { Underlay, UnderlayHost } from './netns.ts';
import { HostProgram } from './namespace-process.ts';

export interface NebulaLogEntry {
  readonly level: string;
  readonly msg: string;
  /** Every other field, as strings (JSON values stringified; null → ""). */
  readonly fields: Readonly<Record<string, string>>;
  readonly raw: string;
}

export interface StartOptions {
  /** tun device name; read from the config's tun.dev when omitted. */
  readonly tunDev?: string;
  /** How long to wait for the tun device to be up (default 10 s). */
  readonly startTimeoutMs?: number;
  /** Also append the log to this file, for diagnostics after a failure. */
  readonly logPath?: string;
}

export class NebulaHost extends HostProgram {
  readonly tunDev: string;
  readonly configPath: string;

  private constructor(host: UnderlayHost, configPath: string, tunDev: string, child: ChildProcess, logPath?: string) {
    super(host, child, logPath);
    this.configPath = configPath;
    this.tunDev = tunDev;
  }

  /**
   * Starts `nebula -config <configPath>` inside the host's namespace and waits
   * until its tun device is up. Rejects (after stopping nebula) if nebula
   * exits or the device does not come up in time; the log is in the message.
   */
  static async start(underlay: Underlay, host: UnderlayHost, configPath: string, options: StartOptions = {}): Promise<NebulaHost> {
    const tunDev = options.tunDev ?? (await tunDevOf(configPath));
    const child = underlay.spawn(host, 'nebula', ['-config', configPath]);
    const nebula = new NebulaHost(host, configPath, tunDev, child, options.logPath);
    return HostProgram.readyOrStopped(nebula, 'nebula', () => nebula.waitForTun(options.startTimeoutMs ?? 10_000));
  }

  entries(): NebulaLogEntry[] {
    return this.process.lines.map(parseNebulaLogLine).filter((e): e is NebulaLogEntry => e !== undefined);
  }

  /** Overlay IPs of peers whose certificate we accepted in a handshake. */
  handshakePeers(): string[] {
    return unique(this.entries().filter(isHandshakeReceived).map((e) => e.fields.vpnIp ?? ''));
  }

  handshakeCompletedWith(overlayIp: string): boolean {
    return this.handshakePeers().includes(overlayIp);
  }

  /** True when a handshake with this peer arrived through a relay rather than directly. */
  handshakeViaRelayWith(overlayIp: string): boolean {
    return this.entries().some(
      (e) =>
        (isHandshakeReceived(e) && e.fields.vpnIp === overlayIp && isEmptyAddr(e.fields.udpAddr)) ||
        (e.msg === 'Handshake message sent' && e.fields.vpnIp === overlayIp && (e.fields.relay ?? '') !== ''),
    );
  }

  /** Underlay addresses ("ip:port") whose certificate we refused. */
  rejectedCertificatesFrom(): string[] {
    return unique(this.entries().filter((e) => e.msg === 'Invalid certificate from host').map((e) => e.fields.udpAddr ?? ''));
  }

  /** Resolves once a log entry matches, rejects after `timeoutMs`. */
  async waitForLog(predicate: (e: NebulaLogEntry) => boolean, timeoutMs: number): Promise<NebulaLogEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.entries().find(predicate);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching nebula log entry on ${this.host.name} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** The UDP port nebula listens on (devices use port 0, i.e. a random one). */
  async udpPort(): Promise<number> {
    const out = await execText('ip', ['netns', 'exec', this.host.ns, 'ss', '-Hulnp']);
    for (const line of out.split('\n')) {
      if (!line.includes(`pid=${this.pid},`)) continue;
      const local = line.trim().split(/\s+/)[3] ?? '';
      const port = Number(local.slice(local.lastIndexOf(':') + 1));
      if (port > 0) return port;
    }
    throw new Error(`nebula on ${this.host.name} has no UDP socket`);
  }

  private async waitForTun(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`nebula on ${this.host.name} exited (${this.process.exitStatus})`);
      if (await tunIsUp(this.host, this.tunDev)) return;
      if (Date.now() > deadline) throw new Error(`tun ${this.tunDev} on ${this.host.name} not up within ${timeoutMs} ms`);
      await sleep(50);
    }
  }



}

export interface PingOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Pause between failed attempts (default 50 ms). */
  readonly intervalMs?: number;
  /**
   * A `performance.now()` taken earlier (e.g. before a device registered):
   * the result and the timeout count from there instead of from this call.
   */
  readonly since?: number;
}

/**
 * Pings `ip` from inside `from`'s namespace (`ping -c1 -W1`) until one reply
 * arrives; returns the ms from the call (or `since`) to that reply. Rejects on timeout.
 */
export async function waitForPing(from: UnderlayHost, ip: string, options: PingOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = options.since ?? performance.now();
  for (;;) {
    if (await pingOnce(from, ip)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${from.name} could not ping ${ip} within ${timeoutMs} ms`);
    await sleep(options.intervalMs ?? 50);
  }
}

/** A bounded check: true if any of `attempts` one-second pings is answered. */
export async function canPing(from: UnderlayHost, ip: string, attempts = 3): Promise<boolean> {
  for (let i = 0; i < attempts; i++) if (await pingOnce(from, ip)) return true;
  return false;
}

/** Round-trip times (ms) of `count` pings, 0.2 s apart; failed ones are left out. */
export async function pingRtts(from: UnderlayHost, ip: string, count = 5): Promise<number[]> {
  const out = await execText('ip', ['netns', 'exec', from.ns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', ip], true);
  return [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

/** Parses one nebula log line, JSON (`logging.format: json`) or logrus text. */
export function parseNebulaLogLine(raw: string): NebulaLogEntry | undefined {
  const line = raw.trim();
  if (line.startsWith('{')) {
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj)) {
        fields[k] = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      }
      return { level: fields.level ?? '', msg: fields.msg ?? '', fields, raw };
    } catch {
      return undefined;
    }
  }
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? '';
    fields[m[1] ?? ''] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  if (fields.msg === undefined) return undefined;
  return { level: fields.level ?? '', msg: fields.msg, fields, raw };
}

// --- internals -------------------------------------------------------------

function isHandshakeReceived(e: NebulaLogEntry): boolean {
  return e.msg === 'Handshake message received' && (e.fields.vpnIp ?? '') !== '';
}

function isEmptyAddr(value: string | undefined): boolean {
  return value === undefined || value === '' || value === '<nil>' || value === 'null';
}

async function tunDevOf(configPath: string): Promise<string> {
  const config = parseYaml(await readFile(configPath, 'utf8')) as { tun?: { dev?: unknown } } | null;
  const dev = config?.tun?.dev;
  if (typeof dev !== 'string' || dev === '') throw new Error(`${configPath} has no tun.dev`);
  return dev;
}

async function tunIsUp(host: UnderlayHost, dev: string): Promise<boolean> {
  const out = await execText('ip', ['-n', host.ns, '-o', 'link', 'show', 'dev', dev], true);
  // Flags look like <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP>.
  return /<[^>]*\bUP\b[^>]*>/.test(out);
}

async function pingOnce(from: UnderlayHost, ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', from.ns, 'ping', '-n', '-q', '-c', '1', '-W', '1', ip], { timeout: 5000 }, (err) =>
      resolve(!err),
    );
  });
}

function execText(cmd: string, args: readonly string[], allowFailure = false): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && !allowFailure) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))];
}

/** Round-trip times for a log line: "min 0.210 / median 0.340" (ms). */
export function formatRtts(rtts: readonly number[]): string {
  if (rtts.length === 0) return 'n/a';
  const sorted = [...rtts].sort((x, y) => x - y);
  return `min ${sorted[0]!.toFixed(3)} / median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)}`;
}
