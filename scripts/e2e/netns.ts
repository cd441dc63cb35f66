// A throw-away underlay network made of Linux network namespaces, for
// end-to-end tests that run real nebula processes.
//
// Layout: one namespace holds a Linux bridge ("the switch"); every host gets a
// namespace of its own, joined to the bridge by a veth pair, with one address
// from 198.18.0.0/15 (RFC 2544 benchmark range). These addresses exist only
// inside the namespaces and no namespace has a default route, so nothing we
// start can send a packet to the machine's real network.
//
// Every namespace name carries `vse2e-<pid>-`, so concurrent runs never clash
// and a later run can sweep what a crashed run left behind (only when that pid
// is gone). Processes started through `spawn` are tracked and killed by
// `destroy()`, which also runs on process exit, SIGINT and SIGTERM.
import { execFile, execFileSync, spawn as spawnChild, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isProcessAlive } from '../../client/src/index.ts';

/** Prefix of every namespace this harness creates; the pid follows it. */
export const NAMESPACE_BASE = 'vse2e-';

/** Underlay network: the whole /15 is on-link for every host, no gateway. */
export const UNDERLAY_PREFIX_LENGTH = 15;
const UNDERLAY_FIRST_HOST = [198, 18, 0, 10] as const;

/** Interface name inside every host namespace (names are per namespace). */
const HOST_UPLINK = 'eth0';
const BRIDGE = 'br0';

export interface UnderlayHost {
  /** Logical name given by the test, e.g. "lh1" or "a". */
  readonly name: string;
  /** Network namespace name, e.g. "vse2e-4711-a". */
  readonly ns: string;
  /** Underlay IPv4 address (no prefix length). */
  readonly ip: string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this long (default 15 s). */
  readonly timeoutMs?: number;
  /** Resolve with a non-zero code instead of rejecting. */
  readonly allowFailure?: boolean;
  /** Written to the command's stdin. */
  readonly input?: string;
}

export interface SpawnOptions {
  /** stdio for the child; default: ignore stdin, pipe stdout and stderr. */
  readonly stdio?: StdioOptions;
}

/** The prefix of this process's namespaces, e.g. "vse2e-4711-". */
export function runPrefix(pid: number = process.pid): string {
  return `${NAMESPACE_BASE}${pid}-`;
}

export class Underlay {
  readonly prefix: string;
  readonly bridgeNs: string;
  private readonly hosts = new Map<string, UnderlayHost>();
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly dropTables = new Set<string>();
  private destroyed = false;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.bridgeNs = `${prefix}br`;
  }

  /**
   * Creates the bridge namespace. Each Underlay in a process gets its own
   * prefix (`vse2e-<pid>-<n>-` after the first) so a test file may hold several.
   */
  static async create(): Promise<Underlay> {
    const prefix = instanceCounter === 0 ? runPrefix() : `${runPrefix()}${instanceCounter}-`;
    instanceCounter++;
    const underlay = new Underlay(prefix);
    live.add(underlay);
    installExitHooks();
    try {
      await underlay.addNamespace(underlay.bridgeNs);
      await ip('-n', underlay.bridgeNs, 'link', 'add', BRIDGE, 'type', 'bridge');
      await ip('-n', underlay.bridgeNs, 'link', 'set', BRIDGE, 'up');
    } catch (err) {
      await underlay.destroy();
      throw err;
    }
    return underlay;
  }

  /** Adds a host namespace joined to the bridge; its underlay address is the next free one. */
  async addHost(name: string): Promise<UnderlayHost> {
    if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`host name must be 1-12 of [a-z0-9]: ${name}`);
    if (this.hosts.has(name)) throw new Error(`host already exists: ${name}`);
    const index = this.hosts.size;
    const host: UnderlayHost = { name, ns: `${this.prefix}${name}`, ip: underlayAddress(index) };
    await this.addNamespace(host.ns);
    // Created inside the bridge namespace with the peer placed straight into
    // the host namespace: no name ever appears in the machine's own namespace.
    const bridgePort = `v${index}`;
    await ip('-n', this.bridgeNs, 'link', 'add', bridgePort, 'type', 'veth', 'peer', 'name', HOST_UPLINK, 'netns', host.ns);
    await ip('-n', this.bridgeNs, 'link', 'set', bridgePort, 'master', BRIDGE);
    await ip('-n', this.bridgeNs, 'link', 'set', bridgePort, 'up');
    await ip('-n', host.ns, 'addr', 'add', `${host.ip}/${UNDERLAY_PREFIX_LENGTH}`, 'dev', HOST_UPLINK);
    await ip('-n', host.ns, 'link', 'set', HOST_UPLINK, 'up');
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): UnderlayHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no such host: ${name}`);
    return host;
  }

  allHosts(): UnderlayHost[] {
    return [...this.hosts.values()];
  }

  /** Runs a command inside the host's namespace and waits for it. */
  exec(host: UnderlayHost | string, cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const ns = this.resolve(host).ns;
    return run('ip', ['netns', 'exec', ns, cmd, ...args], options);
  }

  /**
   * Starts a long-running command inside the host's namespace. `ip netns exec`
   * execs the command in place, so the child's pid is the command itself and
   * killing it kills the command. The child is killed by `destroy()`.
   */
  spawn(host: UnderlayHost | string, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.destroyed) throw new Error('underlay already destroyed');
    const ns = this.resolve(host).ns;
    const child = spawnChild('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Drops all traffic between two hosts' underlay addresses (UDP included),
   * with an nftables table inside each of the two namespaces. Other paths —
   * e.g. both hosts to a lighthouse — stay open.
   */
  async dropDirectPath(a: UnderlayHost | string, b: UnderlayHost | string): Promise<void> {
    const [ha, hb] = [this.resolve(a), this.resolve(b)];
    await this.addDropTable(ha, hb);
    await this.addDropTable(hb, ha);
  }

  /** Undoes `dropDirectPath(a, b)`. */
  async restoreDirectPath(a: UnderlayHost | string, b: UnderlayHost | string): Promise<void> {
    const [ha, hb] = [this.resolve(a), this.resolve(b)];
    for (const [self, peer] of [[ha, hb], [hb, ha]] as const) {
      const table = dropTableName(peer);
      await this.exec(self, 'nft', ['delete', 'table', 'inet', table], { allowFailure: true });
      this.dropTables.delete(`${self.ns}/${table}`);
    }
  }

  /**
   * Kills every process started in our namespaces (SIGTERM, then SIGKILL after
   * `graceMs`) and deletes every namespace. Safe to call more than once.
   */
  async destroy(graceMs = 2000): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const children = [...this.children];
    for (const child of children) signal(child, 'SIGTERM');
    await Promise.all(children.map((child) => waitForExit(child, graceMs)));
    for (const child of children) signal(child, 'SIGKILL');
    this.destroySync();
  }

  /** Synchronous last resort, used from exit handlers: SIGKILL everything, delete namespaces. */
  destroySync(): void {
    this.destroyed = true;
    for (const child of this.children) signal(child, 'SIGKILL');
    this.children.clear();
    for (const ns of [...this.namespaces].reverse()) deleteNamespaceSync(ns);
    this.namespaces.length = 0;
    live.delete(this);
  }

  private resolve(host: UnderlayHost | string): UnderlayHost {
    return typeof host === 'string' ? this.host(host) : host;
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip('netns', 'add', ns);
    this.namespaces.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  private async addDropTable(self: UnderlayHost, peer: UnderlayHost): Promise<void> {
    const table = dropTableName(peer);
    const ruleset = [
      `table inet ${table} {`,
      `  chain input { type filter hook input priority -10; policy accept; ip saddr ${peer.ip} drop; }`,
      `  chain output { type filter hook output priority -10; policy accept; ip daddr ${peer.ip} drop; }`,
      `}`,
    ].join('\n');
    await this.exec(self, 'nft', ['-f', '-'], { input: ruleset });
    this.dropTables.add(`${self.ns}/${table}`);
  }
}

/**
 * Deletes namespaces left by an earlier run that crashed: only names that start
 * with `base` followed by a pid that is no longer running. Processes still
 * inside them are killed first. Returns the deleted names.
 */
export function sweepStale(base: string = NAMESPACE_BASE): string[] {
  const pattern = new RegExp(`^${escapeRegExp(base)}(\\d+)-`);
  const swept: string[] = [];
  for (const ns of listNamespaces()) {
    const match = pattern.exec(ns);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    deleteNamespaceSync(ns);
    swept.push(ns);
  }
  return swept;
}

/** Names of all network namespaces on the machine (`ip netns list`). */
export function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

// --- internals -------------------------------------------------------------

let instanceCounter = 0;
const live = new Set<Underlay>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const cleanup = () => {
    for (const underlay of [...live]) underlay.destroySync();
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      // Re-raise so the process ends the way the signal intended.
      process.kill(process.pid, sig);
    });
  }
}

function underlayAddress(index: number): string {
  const [a, b, c, d] = UNDERLAY_FIRST_HOST;
  const n = d + index;
  if (n > 250) throw new Error('too many underlay hosts');
  return `${a}.${b}.${c}.${n}`;
}

function dropTableName(peer: UnderlayHost): string {
  return `vs_drop_${peer.name}`;
}

function ip(...args: string[]): Promise<ExecResult> {
  return run('ip', args, {});
}

function run(cmd: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: options.timeoutMs ?? 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      if (err && !options.allowFailure) {
        reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.trim() || err.message}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
    // The command may exit before reading its stdin; that is not our error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Kills whatever still runs inside the namespace, then deletes it. */
function deleteNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
