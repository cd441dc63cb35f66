// The real `nebula` binary as the agent's child: started with the project's
// config, restarted with backoff when it dies, reloaded with SIGHUP or
// restarted where nebula 1.6 does not apply a change on reload, and stopped
// so that nothing lingers. On Linux it runs under `setpriv --pdeathsig KILL`,
// so even a `kill -9` of the agent takes nebula down with it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';

/** The oldest nebula whose config and certificates we support. */
export const MIN_NEBULA_VERSION = [1, 6, 0] as const;
/** From this version, `pki.disconnect_invalid` drops blocklisted peers on SIGHUP. */
export const DISCONNECT_INVALID_VERSION = [1, 7, 0] as const;
/**
 * Below this version a SIGHUP loads a renewed certificate but keeps every tunnel on the one it was made with,
 * and nebula tears each such tunnel down when that certificate expires (measured on 1.6.1: 1-2 lost 1-second
 * pings per renewal); so the agent restarts nebula after a renewal, which rebuilds the tunnels at once on the new
 * one. From 1.8, nebula's changelog says a reload re-handshakes tunnels when its certificate changes (not measured
 * here: only 1.6.1 is installed), and SIGHUP suffices.
 */
export const REHANDSHAKE_ON_RELOAD_VERSION = [1, 8, 0] as const;

export type Version = readonly [number, number, number];

export interface NebulaProcessOptions {
  /** The nebula binary (default: `nebula` on PATH). */
  readonly nebulaPath?: string;
  readonly configPath: string;
  /** Runs nebula through this command, e.g. `['ip', 'netns', 'exec', 'ns1']` (it must exec nebula in place). */
  readonly wrapper?: readonly string[];
  readonly log: (line: string) => void;
  /** Every line nebula prints (for tests and diagnostics). */
  readonly onOutput?: (line: string) => void;
}

/** `nebula -version` → [1, 6, 1]; a clear error when it is missing or too old. */
export async function nebulaVersion(nebulaPath = 'nebula'): Promise<Version> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(nebulaPath, ['-version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new VidsyncError('not_found', `cannot run ${nebulaPath} (${(error as NodeJS.ErrnoException).code ?? error.message}); install nebula or pass -nebula PATH`));
      else resolve(`${stdout}${stderr}`);
    }),
  );
  const m = /Version:\s*v?(\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) throw new VidsyncError('validation_failed', `${nebulaPath} -version printed no version: ${out.trim().slice(0, 200)}`);
  const version: Version = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (compareVersions(version, MIN_NEBULA_VERSION) < 0) {
    throw new VidsyncError('validation_failed', `nebula ${version.join('.')} is too old; need ${MIN_NEBULA_VERSION.join('.')} or later`);
  }
  return version;
}

export function compareVersions(a: Version, b: readonly [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export class NebulaProcess {
  readonly #o: NebulaProcessOptions;
  #child: ChildProcess | undefined;
  #wanted = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #startedAt = 0;
  /** How many times nebula was started (first start included). */
  starts = 0;

  constructor(options: NebulaProcessOptions) {
    this.#o = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start(): void {
    this.#wanted = true;
    this.#spawn();
  }

  /** SIGHUP: nebula 1.6.1 reloads pki (certificate, CA, blocklist), lighthouses, relays, firewall. */
  reload(): void {
    if (this.running) this.#child!.kill('SIGHUP');
  }

  /** Stops and starts again (for what a reload does not apply on this version). */
  async restart(): Promise<void> {
    await this.#terminate();
    if (this.#wanted) this.#spawn();
  }

  /** Stops nebula (SIGTERM, SIGKILL after `graceMs`) and does not restart it. */
  async stop(graceMs = 5000): Promise<void> {
    this.#wanted = false;
    clearTimeout(this.#restartTimer);
    await this.#terminate(graceMs);
  }

  #spawn(): void {
    const nebula = this.#o.nebulaPath ?? 'nebula';
    const inner = [nebula, '-config', this.#o.configPath];
    // The parent-death signal: a killed agent leaves no nebula behind.
    const guarded = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', ...inner] : inner;
    const argv = [...(this.#o.wrapper ?? []), ...guarded];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#startedAt = Date.now();
    this.starts++;
    this.#o.log(`nebula started (pid ${child.pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.#o.onOutput?.(line);
      });
    }
    child.on('error', (error) => this.#o.log(`nebula could not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      if (!this.#wanted) return;
      // Died on its own: restart, backing off 1 s, 2 s, 4 s … 30 s; a run of a minute resets it.
      if (Date.now() - this.#startedAt > 60_000) this.#failures = 0;
      const delay = Math.min(30_000, 1000 * 2 ** this.#failures++);
      this.#o.log(`nebula exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      this.#restartTimer = setTimeout(() => this.#wanted && this.#spawn(), delay);
    });
  }

  async #terminate(graceMs = 5000): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.#o.log(`nebula stopped (pid ${child.pid})`);
  }
}
