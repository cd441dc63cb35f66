// Issue 11 §6, lighthouse failover on real parts: a project with two
// lighthouses (both in every device's nebula.yml, as lighthouses and as
// relays); one is stopped; a device that starts afterwards still finds its
// peer through the other, directly and, with the direct path dropped,
// through the remaining lighthouse's relay. Real nebula 1.6.1 in network
// namespaces, bundles from the API through the SDK.
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { SupabaseClient } from '@supabase/supabase-js';
import { useApi } from '../support/api.ts';
import { createProject, type CreatedProject } from '../api/helpers.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { canPing, waitForPing } from '../../scripts/e2e/nebula-host.ts';
import { printNebulaLogsOnFailure, SdkDevices, useE2eWorld } from '../support/e2e.ts';

const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('ping'), binary('nft'));

describe.runIf(!reason)('lighthouse failover e2e: two lighthouses, one stopped', () => {
  const api = useApi();
  const world = useE2eWorld('vidsync-failover', ['lh1', 'lh2', 'a', 'b']);
  const devices = new SdkDevices(world, { deviceNamePrefix: 'failover' });
  const { registrations, nebula } = devices;
  let project: CreatedProject;
  let owner: SupabaseClient;

  const register = (name: string, lighthouse = false) => devices.register(name, owner, project.projectId, { lighthouse });
  const start = (name: string) => devices.start(name);
  const ip = (name: string) => devices.ip(name);

  beforeAll(async () => {
    const user = await api.user('failover-owner');
    owner = api.client(user!.accessToken);
    project = await createProject(owner, 'e2e failover');
    await register('lh1', true);
    await register('lh2', true);
    await Promise.all([register('a'), register('b')]);
    await Promise.all([start('lh1'), start('lh2')]);
  });

  printNebulaLogsOnFailure(nebula);

  it('nebula.yml lists both lighthouses: static_host_map, lighthouse.hosts and relays', async () => {
    const config = parseYaml(await readFile(registrations.a!.paths.config, 'utf8')) as {
      static_host_map: Record<string, string[]>;
      lighthouse: { hosts: string[] };
      relay: { relays: string[]; use_relays: boolean };
    };
    expect(config.static_host_map).toEqual({
      [ip('lh1')]: [`${world.hosts.lh1!.ip}:${DEFAULT_LIGHTHOUSE_PORT}`],
      [ip('lh2')]: [`${world.hosts.lh2!.ip}:${DEFAULT_LIGHTHOUSE_PORT}`],
    });
    expect([...config.lighthouse.hosts].sort()).toEqual([ip('lh1'), ip('lh2')].sort());
    expect([...config.relay.relays].sort()).toEqual([ip('lh1'), ip('lh2')].sort());
    expect(config.relay.use_relays).toBe(true);
  });

  it('with lh1 stopped, A (started afterwards) finds B through lh2 and pings it', async () => {
    await start('b');
    // B is known to both lighthouses before lh1 goes away.
    await nebula.b!.waitForLog(() => nebula.b!.handshakeCompletedWith(ip('lh1')) && nebula.b!.handshakeCompletedWith(ip('lh2')), 5_000);
    await nebula.lh1!.stop();
    expect(nebula.lh1!.running).toBe(false);
    expect(await canPing(world.hosts.b!, ip('lh1'), 1)).toBe(false);

    const t0 = performance.now();
    await start('a');
    const firstPingMs = await waitForPing(world.hosts.a!, ip('b'), { since: t0, timeoutMs: 10_000 });
    console.log(`lh1 down: A's nebula start → first overlay ping to B through lh2: ${firstPingMs.toFixed(0)} ms`);
    expect(nebula.a!.handshakeCompletedWith(ip('b'))).toBe(true);
    expect(nebula.a!.handshakeCompletedWith(ip('lh1'))).toBe(false);
    expect(nebula.a!.handshakeCompletedWith(ip('lh2'))).toBe(true);
    expect(await canPing(world.hosts.b!, ip('a'))).toBe(true);
  });

  it('with lh1 still stopped and the direct path dropped, A and B reach each other through lh2\'s relay', async () => {
    await nebula.a!.stop();
    await nebula.b!.stop();
    await world.underlay.dropDirectPath(world.hosts.a!, world.hosts.b!);
    try {
      await start('a');
      await start('b');
      const firstPingMs = await waitForPing(world.hosts.a!, ip('b'), { timeoutMs: 15_000 });
      console.log(`lh1 down, no direct path: first ping A→B through lh2's relay ${firstPingMs.toFixed(0)} ms after both started`);
      expect(nebula.a!.handshakeViaRelayWith(ip('b'))).toBe(true);
      expect(await canPing(world.hosts.b!, ip('a'))).toBe(true);
    } finally {
      await world.underlay.restoreDirectPath(world.hosts.a!, world.hosts.b!);
    }
  });
});
