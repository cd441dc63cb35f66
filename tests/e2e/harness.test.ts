// Proves the e2e network harness with real nebula 1.6.1 and certificates from
// the real `nebula-cert` (two CAs): lighthouse discovery, isolation between
// projects, relaying through the lighthouse, and a clean teardown, before any
// of our own code is involved. tests/e2e/overlay.test.ts reuses this harness
// with bundles from our API instead.
//
// Worst case for isolation on purpose: P2 uses the same overlay /24 as P1 and
// C is told A's and B's real underlay endpoints, so C really sends handshakes
// to them; only the CA tells them apart.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { createCliProject, startCliNode, type CliProject } from '../../scripts/e2e/cli-project.ts';
import { canPing, formatRtts, pingRtts, waitForPing, type NebulaHost } from '../../scripts/e2e/nebula-host.ts';
import { expectTeardownLeavesNothing, printNebulaLogsOnFailure, useE2eWorld } from '../support/e2e.ts';

const reason = missing(isRoot, binary('nebula'), binary('nebula-cert'), binary('ip'), binary('ping'), binary('nft'));

describe.runIf(!reason)('e2e harness: real nebula in network namespaces', () => {
  const world = useE2eWorld('vidsync-e2e', ['lh1', 'a', 'b', 'lh2', 'c']);
  let p1: CliProject;
  let p2: CliProject;
  const nebula: Record<string, NebulaHost> = {};
  const nebulaPids: number[] = [];

  const start = async (project: CliProject, name: string, extra?: Record<string, string[]>) => {
    const node = name === project.lighthouse.name ? project.lighthouse : project.devices[name];
    if (!node) throw new Error(`no node ${name} in ${project.name}`);
    const running = await startCliNode(world.underlay, project, node, extra);
    if (running.pid) nebulaPids.push(running.pid);
    nebula[name] = running;
    return running;
  };
  const overlayIp = (project: CliProject, name: string) => project.devices[name]?.overlayIp ?? '';

  beforeAll(async () => {
    p1 = await createCliProject(world.dir, {
      name: 'p1',
      overlay24: '10.71.0',
      lighthouse: world.hosts.lh1!,
      devices: [{ host: world.hosts.a!, octet: 11 }, { host: world.hosts.b!, octet: 12 }],
    });
    p2 = await createCliProject(world.dir, { name: 'p2', overlay24: '10.71.0', lighthouse: world.hosts.lh2!, devices: [{ host: world.hosts.c!, octet: 21 }] });
    await start(p1, 'lh1');
    await start(p2, 'lh2');
  });

  // The namespaces and logs are gone after teardown: show the logs on failure.
  printNebulaLogsOnFailure(nebula);

  it('A finds B through the lighthouse and pings it over the overlay', async () => {
    const aStarting = performance.now();
    await start(p1, 'a');
    await start(p1, 'b');
    const config = parseYaml(await readFile(p1.devices.a!.configPath, 'utf8')) as { static_host_map: Record<string, unknown> };
    expect(Object.keys(config.static_host_map)).toEqual([p1.lighthouse.overlayIp]);

    const firstPingMs = await waitForPing(world.hosts.a!, overlayIp(p1, 'b'), { timeoutMs: 10_000, since: aStarting });
    const overlayRtts = await pingRtts(world.hosts.a!, overlayIp(p1, 'b'));
    const underlayRtts = await pingRtts(world.hosts.a!, world.hosts.b!.ip);
    console.log(`A→B first overlay ping ${firstPingMs.toFixed(0)} ms after starting nebula on A; rtt overlay ${formatRtts(overlayRtts)} ms, underlay ${formatRtts(underlayRtts)} ms`);

    expect(overlayRtts.length).toBeGreaterThan(0);
    expect(nebula.a!.handshakeCompletedWith(overlayIp(p1, 'b'))).toBe(true);
    expect(nebula.b!.handshakeCompletedWith(overlayIp(p1, 'a'))).toBe(true);
    expect(await canPing(world.hosts.b!, overlayIp(p1, 'a'))).toBe(true);
  });

  it('C (another CA) reaches A and B on the underlay but completes no handshake with them', async () => {
    const endpoints = {
      [overlayIp(p1, 'a')]: [`${world.hosts.a!.ip}:${await nebula.a!.udpPort()}`],
      [overlayIp(p1, 'b')]: [`${world.hosts.b!.ip}:${await nebula.b!.udpPort()}`],
    };
    await start(p2, 'c', endpoints);

    expect(await canPing(world.hosts.c!, world.hosts.a!.ip)).toBe(true);
    expect(await canPing(world.hosts.c!, overlayIp(p1, 'a'), 2)).toBe(false);
    expect(await canPing(world.hosts.c!, overlayIp(p1, 'b'), 2)).toBe(false);

    // C's handshakes did arrive and were refused for their certificate...
    expect(nebula.a!.rejectedCertificatesFrom().some((addr) => addr.includes(world.hosts.c!.ip))).toBe(true);
    expect(nebula.b!.rejectedCertificatesFrom().some((addr) => addr.includes(world.hosts.c!.ip))).toBe(true);
    // ...and no side ever accepted the other.
    expect(nebula.c!.handshakeCompletedWith(overlayIp(p1, 'a'))).toBe(false);
    expect(nebula.c!.handshakeCompletedWith(overlayIp(p1, 'b'))).toBe(false);
    expect(nebula.a!.handshakeCompletedWith(overlayIp(p2, 'c'))).toBe(false);
    expect(nebula.b!.handshakeCompletedWith(overlayIp(p2, 'c'))).toBe(false);
    expect(nebula.c!.handshakePeers()).toEqual([p2.lighthouse.overlayIp]);
  });

  it('with the direct path dropped, A and B reach each other through the lighthouse relay', async () => {
    // Fresh processes, so the tunnel has to be built anew with the path already gone.
    await nebula.a!.stop();
    await nebula.b!.stop();
    await world.underlay.dropDirectPath(world.hosts.a!, world.hosts.b!);
    expect(await canPing(world.hosts.a!, world.hosts.b!.ip, 1)).toBe(false);
    expect(await canPing(world.hosts.a!, world.hosts.lh1!.ip, 1)).toBe(true);
    await start(p1, 'a');
    await start(p1, 'b');

    const firstPingMs = await waitForPing(world.hosts.a!, overlayIp(p1, 'b'), { timeoutMs: 15_000 });
    const relayRtts = await pingRtts(world.hosts.a!, overlayIp(p1, 'b'));
    console.log(`A→B via relay: first ping after ${firstPingMs.toFixed(0)} ms; rtt ${formatRtts(relayRtts)} ms`);

    expect(nebula.a!.handshakeViaRelayWith(overlayIp(p1, 'b'))).toBe(true);
    expect(nebula.b!.handshakeViaRelayWith(overlayIp(p1, 'a'))).toBe(true);
    expect(await canPing(world.hosts.b!, overlayIp(p1, 'a'))).toBe(true);
  });

  it('destroy() leaves no namespace and no nebula process behind', async () => {
    await expectTeardownLeavesNothing(world, nebulaPids, 7);
  });
});
