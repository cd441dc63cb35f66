// Issue 5, the whole product path with real parts: projects created through
// our API, devices registered with the client SDK (key made on the device,
// bundle verified and installed), and real nebula 1.6.1 running each bundle in
// its own network namespace on a throw-away underlay. Proves lighthouse
// discovery, isolation between projects (different CAs) and relaying.
//
// The API (Deno on 127.0.0.1) and the SDK run in the root namespace; only
// nebula runs inside the namespaces: registering needs no overlay.
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseDocument } from 'yaml';
import type { SupabaseClient } from '@supabase/supabase-js';
import { useApi } from '../support/api.ts';
import { addMember, createProject, type CreatedProject } from '../api/helpers.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { canPing, formatRtts, pingRtts, waitForPing } from '../../scripts/e2e/nebula-host.ts';
import { expectTeardownLeavesNothing, printNebulaLogsOnFailure, SdkDevices, useE2eWorld } from '../support/e2e.ts';

const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('ping'), binary('nft'));

/** nebula's customary lighthouse port; the bundle makes a lighthouse listen on its endpoint's port. */
const LIGHTHOUSE_PORT = DEFAULT_LIGHTHOUSE_PORT;

describe.runIf(!reason)('overlay e2e: API + SDK bundles on real nebula in network namespaces', () => {
  const api = useApi();
  const world = useE2eWorld('vidsync-overlay', ['lh1', 'a', 'b', 'lh2', 'c']);
  const devices = new SdkDevices(world, { deviceNamePrefix: 'e2e', lighthousePort: LIGHTHOUSE_PORT });
  const { registrations, nebula, nebulaPids } = devices;
  let p1: CreatedProject;
  let p2: CreatedProject;
  const users: Record<string, SupabaseClient> = {};

  const register = (name: string, as: SupabaseClient, project: CreatedProject, lighthouse = false) => devices.register(name, as, project.projectId, { lighthouse });
  const startNebula = (name: string, configPath?: string) => devices.start(name, configPath);
  const overlayIp = (name: string) => devices.ip(name);

  beforeAll(async () => {
    // P1: an owner who runs the lighthouse, two members with a device each.
    // P2: another owner with its own lighthouse and device C. Both subnets
    // are picked by the API, so they differ.
    const [p1Owner, p1MemberA, p1MemberB, p2Owner] = await Promise.all(['p1owner', 'p1a', 'p1b', 'p2owner'].map((n) => api.user(n)));
    users.p1Owner = api.client(p1Owner!.accessToken);
    users.a = api.client(p1MemberA!.accessToken);
    users.b = api.client(p1MemberB!.accessToken);
    users.p2Owner = api.client(p2Owner!.accessToken);
    p1 = await createProject(users.p1Owner, 'e2e overlay p1');
    p2 = await createProject(users.p2Owner, 'e2e overlay p2');
    await addMember(api.sql, p1.projectId, p1MemberA!.id, 'member');
    await addMember(api.sql, p1.projectId, p1MemberB!.id, 'member');

    // Lighthouses first, so every device's bundle already names them.
    await register('lh1', users.p1Owner, p1, true);
    await register('lh2', users.p2Owner, p2, true);
    await startNebula('lh1');
    await startNebula('lh2');
    await register('b', users.b, p1);
    await startNebula('b');
  });

  // The namespaces and logs are gone after teardown: show the logs on failure.
  printNebulaLogsOnFailure(nebula);

  it('A registers through the SDK and pings B over the overlay, found through the lighthouse', async () => {
    const t0 = performance.now();
    await register('a', users.a!, p1);
    const registeredMs = performance.now() - t0;
    await startNebula('a');
    const tunUpMs = performance.now() - t0;
    const firstPingMs = await waitForPing(world.hosts.a!, overlayIp('b'), { since: t0, timeoutMs: 10_000 });
    console.log(
      `registration → first overlay ping: ${firstPingMs.toFixed(0)} ms (goal ≤ 3000); ` +
        `registered after ${registeredMs.toFixed(0)} ms, tun up after ${tunUpMs.toFixed(0)} ms`,
    );

    // A knows B only through the lighthouse.
    const config = parseYaml(await readFile(registrations.a!.paths.config, 'utf8')) as {
      static_host_map: Record<string, string[]>;
      lighthouse: { hosts: string[] };
    };
    expect(config.static_host_map).toEqual({ [overlayIp('lh1')]: [`${world.hosts.lh1!.ip}:${LIGHTHOUSE_PORT}`] });
    expect(config.lighthouse.hosts).toEqual([overlayIp('lh1')]);

    expect(nebula.a!.handshakeCompletedWith(overlayIp('b'))).toBe(true);
    expect(nebula.b!.handshakeCompletedWith(overlayIp('a'))).toBe(true);
    expect(await canPing(world.hosts.b!, overlayIp('a'))).toBe(true);
  });

  it('C (P2, another CA) reaches A, B and lh1 on the underlay but completes no handshake with them', async () => {
    await register('c', users.p2Owner!, p2);
    // P2's overlay is another subnet, so C has no route to P1's overlay IPs
    // at all. To make C really knock, unused P2 addresses are pointed at the
    // P1 hosts' real underlay endpoints (nebula 1.6.1 only takes
    // static_host_map keys inside the host's own network): traffic to them
    // makes C send handshakes to A, B and lh1.
    const [decoyA, decoyB, decoyLh1] = lastHostAddresses(p2.subnet, 3);
    const probes: Record<string, string> = {
      [decoyA!]: `${world.hosts.a!.ip}:${await nebula.a!.udpPort()}`,
      [decoyB!]: `${world.hosts.b!.ip}:${await nebula.b!.udpPort()}`,
      [decoyLh1!]: `${world.hosts.lh1!.ip}:${LIGHTHOUSE_PORT}`,
    };
    const probeConfig = join(world.dir, 'c-probe.yml');
    await writeFile(probeConfig, withStaticHosts(await readFile(registrations.c!.paths.config, 'utf8'), probes));
    await startNebula('c', probeConfig);

    for (const target of ['a', 'b', 'lh1']) expect(await canPing(world.hosts.c!, world.hosts[target]!.ip), `underlay ${target}`).toBe(true);
    const decoyPings = await Promise.all(Object.keys(probes).map((ip) => canPing(world.hosts.c!, ip, 2)));
    expect(decoyPings).toEqual([false, false, false]);
    for (const target of ['lh1', 'a', 'b']) expect(await canPing(world.hosts.c!, overlayIp(target), 1), `overlay ${target}`).toBe(false);

    // C's handshakes did arrive, and each P1 host refused C's certificate...
    const fromC = (addr: string) => addr.startsWith(`${world.hosts.c!.ip}:`);
    for (const target of ['a', 'b', 'lh1']) {
      await nebula[target]!.waitForLog((e) => e.msg === 'Invalid certificate from host' && fromC(e.fields.udpAddr ?? ''), 5_000);
      expect(nebula[target]!.rejectedCertificatesFrom().some(fromC), target).toBe(true);
      // ...and no side ever accepted the other.
      expect(nebula[target]!.handshakeCompletedWith(overlayIp('c')), target).toBe(false);
    }
    expect(nebula.c!.handshakePeers()).toEqual([overlayIp('lh2')]);
    expect(nebula.lh2!.handshakePeers()).toEqual([overlayIp('c')]);
  });

  it('with the direct underlay path dropped, A and B reach each other through the lighthouse relay', async () => {
    // Fresh processes, so the tunnel has to be built anew with the path already gone.
    await nebula.a!.stop();
    await nebula.b!.stop();
    await world.underlay.dropDirectPath(world.hosts.a!, world.hosts.b!);
    try {
      expect(await canPing(world.hosts.a!, world.hosts.b!.ip, 1)).toBe(false);
      expect(await canPing(world.hosts.a!, world.hosts.lh1!.ip, 1)).toBe(true);
      await startNebula('a');
      await startNebula('b');

      const firstPingMs = await waitForPing(world.hosts.a!, overlayIp('b'), { timeoutMs: 15_000 });
      const relayRtts = await pingRtts(world.hosts.a!, overlayIp('b'));
      console.log(`A→B through the lighthouse relay: first ping ${firstPingMs.toFixed(0)} ms after both started; rtt ${formatRtts(relayRtts)} ms`);

      expect(nebula.a!.handshakeViaRelayWith(overlayIp('b'))).toBe(true);
      expect(nebula.b!.handshakeViaRelayWith(overlayIp('a'))).toBe(true);
      expect(await canPing(world.hosts.b!, overlayIp('a'))).toBe(true);
    } finally {
      await world.underlay.restoreDirectPath(world.hosts.a!, world.hosts.b!);
    }
  });

  it('teardown leaves no namespace and no nebula process behind', async () => {
    // lh1, lh2, b, a, c, then a and b again for the relay test.
    await expectTeardownLeavesNothing(world, nebulaPids, 7);
  });
});

/** The last `count` usable IPv4 addresses of a subnet, highest first (never handed out early by the allocator). */
function lastHostAddresses(cidr: string, count: number): string[] {
  const [network, bits] = cidr.split('/');
  const base = network!.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const broadcast = base + 2 ** (32 - Number(bits)) - 1;
  return Array.from({ length: count }, (_, i) => {
    const n = broadcast - 1 - i;
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  });
}

/** The config with extra static_host_map entries, edited as YAML (nebula reads YAML 1.1). */
function withStaticHosts(configYaml: string, extra: Record<string, string>): string {
  const doc = parseDocument(configYaml, { version: '1.1' });
  for (const [ip, endpoint] of Object.entries(extra)) doc.setIn(['static_host_map', ip], doc.createNode([endpoint]));
  return doc.toString();
}
