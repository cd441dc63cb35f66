// A real Syncthing for SDK tests, in the root namespace but on loopback
// only: a temp home, the REST API on 127.0.0.1:<free port>, and every way
// it could reach beyond this machine off from the first start (discovery,
// relays, NAT, reporting, upgrades). Whatever a test then configures
// (addresses of peers, listen addresses) uses 127.x.y.z addresses.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyncthingHome, PRIVATE_OPTIONS_XML } from '../../scripts/e2e/syncthing.ts';

export interface LocalSyncthing {
  readonly home: string;
  readonly deviceId: string;
  readonly url: string;
  readonly apiKey: string;
  /** GET/PATCH… on its REST API, parsed JSON. */
  rest<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `extraXml` goes inside <configuration>: devices or folders that exist before any bridge. */
export async function startLocalSyncthing(options: { name: string; extraXml?: string }): Promise<LocalSyncthing> {
  const home = await mkdtemp(join(tmpdir(), `vidsync-st-${options.name}-`));
  const identity = await generateSyncthingHome(home);
  const port = await freePort();
  const apiKey = crypto.randomUUID().replaceAll('-', '');
  await writeFile(
    join(home, 'config.xml'),
    [
      `<configuration version="${identity.configVersion}">`,
      `  <device id="${identity.deviceId}" name="${options.name}" compression="metadata" introducer="false"><address>dynamic</address></device>`,
      options.extraXml ?? '',
      `  <gui enabled="true" tls="false" debugging="false"><address>127.0.0.1:${port}</address><apikey>${apiKey}</apikey></gui>`,
      `  <options>`,
      `    <listenAddress>tcp://127.0.0.1:0</listenAddress>`,
      ...PRIVATE_OPTIONS_XML,
      `    <setLowPriority>false</setLowPriority>`,
      `  </options>`,
      `</configuration>`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const lines: string[] = [];
  // Its own process group: stop() ends the monitor and the Syncthing it runs, and nothing else.
  const child: ChildProcess = spawn('syncthing', ['serve', '--home', home, '--no-browser', '--no-restart', '--no-upgrade', '--logflags=3'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STNOUPGRADE: '1' },
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const rest = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await rm(home, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pong = await rest<{ ping: string }>('/rest/system/ping').catch(() => undefined);
    if (pong?.ping === 'pong') break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`syncthing ${options.name} did not start:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { home, deviceId: identity.deviceId, url, apiKey, rest, log: () => lines.join('\n'), stop };
}
