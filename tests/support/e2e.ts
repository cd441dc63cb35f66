// What the overlay suites share: the world they run in (swept of stale
// namespaces, a temporary directory, an underlay with a host per device,
// all gone after the suite), devices registered through the SDK and run on
// real nebula, and the nebula logs of a failed test, printed before teardown
// deletes the namespaces they came from.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { isProcessAlive, NebulaClient, type Registration } from '../../client/src/index.ts';
import { NebulaHost } from '../../scripts/e2e/nebula-host.ts';
import { listNamespaces, sweepStale, Underlay, type UnderlayHost } from '../../scripts/e2e/netns.ts';
import { useTempDir } from './temp-dir.ts';

export interface E2eWorld {
  /** The suite's temporary directory. */
  readonly dir: string;
  readonly underlay: Underlay;
  /** A host (network namespace on the underlay) per name given. */
  readonly hosts: Readonly<Record<string, UnderlayHost>>;
}

/**
 * The opening of an e2e suite: namespaces left by crashed runs swept, a
 * temporary directory (useTempDir(prefix)), an underlay with one host per
 * name. afterAll destroys the underlay (and every process in it), then
 * (vitest runs afterAll hooks last-registered first) the directory. The
 * object returned holds them from beforeAll on.
 */
export function useE2eWorld(prefix: string, hostNames: readonly string[]): E2eWorld {
  const temp = useTempDir(prefix);
  const world = {
    hosts: {},
    get dir() {
      return temp.path;
    },
  } as { readonly dir: string; underlay: Underlay; hosts: Record<string, UnderlayHost> };
  beforeAll(async () => {
    const swept = sweepStale();
    if (swept.length) console.log(`swept stale namespaces: ${swept.join(' ')}`);
    world.underlay = await Underlay.create();
    for (const name of hostNames) world.hosts[name] = await world.underlay.addHost(name);
  });
  afterAll(async () => {
    await world.underlay?.destroy();
  });
  return world;
}

/**
 * Devices as the product makes them: each a machine of its own (its own SDK
 * client and directory, on the host of its name), registered through the
 * SDK, its bundle run by real nebula.
 */
export class SdkDevices {
  readonly registrations: Record<string, Registration> = {};
  readonly nebula: Record<string, NebulaHost> = {};
  /** Every nebula started, to check none outlives the suite. */
  readonly nebulaPids: number[] = [];

  constructor(
    private readonly world: E2eWorld,
    private readonly options: { deviceNamePrefix: string; lighthousePort?: number; logSuffix?: string },
  ) {}

  /** Registers `name` as the user of `as`; a lighthouse announces its host's underlay address. */
  async register(name: string, as: SupabaseClient, projectId: string, extra: { lighthouse?: boolean; syncthingDeviceId?: string } = {}): Promise<Registration> {
    const port = this.options.lighthousePort ?? DEFAULT_LIGHTHOUSE_PORT;
    const registration = await new NebulaClient({ supabase: as, baseDir: join(this.world.dir, name) }).register({
      projectId,
      deviceName: `${this.options.deviceNamePrefix} ${name}`,
      ...(extra.syncthingDeviceId ? { syncthingDeviceId: extra.syncthingDeviceId } : {}),
      ...(extra.lighthouse ? { lighthouse: { endpoints: [`${this.world.hosts[name]!.ip}:${port}`] } } : {}),
    });
    this.registrations[name] = registration;
    return registration;
  }

  /** Starts nebula on `name`'s host with its bundle's config (or another one). */
  async start(name: string, configPath: string = this.registrations[name]!.paths.config): Promise<NebulaHost> {
    const logPath = join(this.world.dir, `${name}${this.options.logSuffix ?? '.log'}`);
    const running = await NebulaHost.start(this.world.underlay, this.world.hosts[name]!, configPath, { logPath });
    if (running.pid) this.nebulaPids.push(running.pid);
    this.nebula[name] = running;
    return running;
  }

  /** The overlay address the API gave `name`. */
  ip(name: string): string {
    return this.registrations[name]!.ip;
  }
}

/**
 * The last test of a suite that checks its own teardown: the world's
 * namespaces are there and `started` processes were recorded in `pids`;
 * destroying the underlay leaves no namespace and none of them running.
 */
export async function expectTeardownLeavesNothing(world: E2eWorld, pids: readonly number[], started: number): Promise<void> {
  const namespaces = () => listNamespaces().filter((ns) => ns.startsWith(world.underlay.prefix));
  expect(namespaces().length).toBeGreaterThan(0);
  expect(pids.length).toBe(started);
  await world.underlay.destroy();
  expect(namespaces()).toEqual([]);
  expect(pids.filter((pid) => isProcessAlive(pid))).toEqual([]);
}

export function printNebulaLogsOnFailure(nebula: Readonly<Record<string, NebulaHost>>, lines = 40): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, host] of Object.entries(nebula)) {
        console.error(`--- nebula log of ${name} (last ${lines} lines) ---\n${host.logText().split('\n').slice(-lines).join('\n')}`);
      }
    });
  });
}
