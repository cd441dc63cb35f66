// A CA rotation on real parts: NebulaAgents run real nebula 1.6.1 in network
// namespaces against the function served by Deno. Proves that
//  - while A and B ping each other (0.2 s apart), POST /ca/:id/rotate moves
//    them onto the new CA by themselves: each agent sees the trusted CAs change
//    in the config it polls, rewrites ca.crt, and renews two polls later, when
//    every peer trusts the new CA; afterwards A, B and the lighthouse run
//    certificates of the new CA, and the pings lost are printed and bounded;
//  - a device still on the old CA (C: its agent polls too rarely to renew
//    during the test; it is given the new trust set as its next poll would
//    write it) keeps working while the old CA is trusted — its current
//    certificate keeps it so — and once the owner retires that CA
//    (DELETE /ca/:id/:fp) its peers refuse it: their agents rewrite ca.crt
//    and restart nebula 1.6.1 (whose SIGHUP keeps established tunnels of a CA
//    that left).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NebulaAgent, NebulaClient } from '../../client/src/index.ts';
import { parseCertificatePem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { useE2eWorld } from '../support/e2e.ts';
import { addMember, createProject, type CreatedProject } from '../api/helpers.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { canPing, waitForPing } from '../../scripts/e2e/nebula-host.ts';

const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('ping'));
const LIGHTHOUSE_PORT = 4242;
/** The agents' config poll: a rotation reaches them within it, and they renew two polls after learning of it. */
const POLL_SECONDS = 2;
const PING_INTERVAL_SECONDS = 0.2;
const PING_SECONDS = 24;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(!reason)('CA rotation e2e on nebula 1.6.1', () => {
  const api = useApi();
  const world = useE2eWorld('vidsync-rotation', ['lh', 'a', 'b', 'c']);
  let project: CreatedProject;
  const tokens: Record<string, string> = {};
  const agents: Record<string, NebulaAgent> = {};
  const logs: Record<string, string[]> = {};
  const ips: Record<string, string> = {};
  let oldCa = '';
  let newCa = '';

  const dirOf = (name: string) => join(world.dir, name, 'overlay');
  const clientOf = (name: string) => new NebulaClient({ supabase: api.client(tokens[name]!), baseDir: join(world.dir, name) });
  /** The CA that signed the certificate an agent runs now (node.crt on disk). */
  const issuerOf = async (name: string) => parseCertificatePem(await readFile(join(dirOf(name), 'node.crt'), 'utf8')).details.issuer;
  const trusted = async () => {
    const res = await api.fetch(`ca/${project.projectId}`, { token: tokens.lh });
    return ((await res.json()) as { certificates: { fingerprint: string }[] }).certificates.map((c) => c.fingerprint);
  };

  function agent(name: string, options: { headless?: boolean; pollSeconds: number }): NebulaAgent {
    const lines: string[] = (logs[name] = []);
    const a = new NebulaAgent({
      projectId: project.projectId,
      dir: dirOf(name),
      functionsUrl: api.functions.functionsUrl,
      client: clientOf(name),
      deviceName: `rotation ${name}`,
      accessToken: options.headless ? undefined : async () => tokens[name]!,
      nebulaWrapper: ['ip', 'netns', 'exec', world.hosts[name]!.ns],
      configPollSeconds: options.pollSeconds,
      heartbeatSeconds: 600,
      log: (line) => lines.push(`${new Date().toISOString()} ${line}`),
      onNebulaOutput: (line) => lines.push(`  nebula: ${line}`),
    });
    agents[name] = a;
    return a;
  }

  beforeAll(async () => {
    const users = await Promise.all(['rotowner', 'rota', 'rotb', 'rotc'].map((n) => api.user(n)));
    ['lh', 'a', 'b', 'c'].forEach((name, i) => (tokens[name] = users[i]!.accessToken));
    project = await createProject(api.client(tokens.lh!), 'e2e rotation');
    for (const u of users.slice(1)) await addMember(api.sql, project.projectId, u!.id, 'member');
    const lh = await clientOf('lh').register({
      projectId: project.projectId,
      dir: dirOf('lh'),
      deviceName: 'rotation lh',
      lighthouse: { endpoints: [`${world.hosts.lh!.ip}:${LIGHTHOUSE_PORT}`] },
    });
    ips.lh = lh.ip;
    // A with its user's session, B headless (its device key: the CA bundle through GET /config/:id/ca),
    // C polling too rarely to learn of the rotation during the test: it stays on the old CA.
    // A and B poll half an interval apart, so one learns of the rotation a second before the other: renewing at once
    // would show the other a certificate of a CA it does not trust yet (the agent waits two polls).
    await agent('lh', { pollSeconds: POLL_SECONDS }).start();
    await agent('a', { pollSeconds: POLL_SECONDS }).start();
    await sleep((POLL_SECONDS * 1000) / 2);
    await agent('b', { pollSeconds: POLL_SECONDS, headless: true }).start();
    await agent('c', { pollSeconds: 600 }).start();
    for (const name of ['a', 'b', 'c']) ips[name] = agents[name]!.state.ip!;
    await waitForPing(world.hosts.a!, ips.b!, { timeoutMs: 15_000 });
    await waitForPing(world.hosts.b!, ips.a!, { timeoutMs: 15_000 });
    await waitForPing(world.hosts.a!, ips.c!, { timeoutMs: 15_000 });
    oldCa = await issuerOf('a');
  }, 60_000);

  afterAll(async () => {
    for (const a of Object.values(agents)) await a.stop().catch(() => undefined);
  });

  // The namespaces are gone after teardown: show the agents' and nebulas' logs on failure.
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, lines] of Object.entries(logs)) console.error(`--- agent ${name} (last 60 lines) ---\n${lines.slice(-60).join('\n')}`);
    });
  });

  it('rotating while A and B ping each other: afterwards A, B and the lighthouse run certificates of the new CA; pings lost are few', async () => {
    const count = Math.round(PING_SECONDS / PING_INTERVAL_SECONDS);
    const pingArgs = (to: string) => ['-n', '-i', String(PING_INTERVAL_SECONDS), '-W', '1', '-c', String(count), '-w', String(PING_SECONDS + 2), to];
    const aToB = world.underlay.exec(world.hosts.a!, 'ping', pingArgs(ips.b!), { allowFailure: true, timeoutMs: (PING_SECONDS + 15) * 1000 });
    const bToA = world.underlay.exec(world.hosts.b!, 'ping', pingArgs(ips.a!), { allowFailure: true, timeoutMs: (PING_SECONDS + 15) * 1000 });
    await sleep(1000);

    const t0 = performance.now();
    const rotated = await api.fetch(`ca/${project.projectId}/rotate`, { method: 'POST', token: tokens.lh });
    expect(rotated.status).toBe(201);
    newCa = ((await rotated.json()) as { fingerprint: string }).fingerprint;
    expect(newCa).not.toBe(oldCa);

    // Each agent learns of it by its poll and renews two polls later.
    const onNewCa: Record<string, number> = {};
    while (performance.now() - t0 < 20_000 && Object.keys(onNewCa).length < 3) {
      for (const name of ['lh', 'a', 'b']) if (!(name in onNewCa) && (await issuerOf(name)) === newCa) onNewCa[name] = performance.now() - t0;
      await sleep(100);
    }
    expect(Object.keys(onNewCa).sort()).toEqual(['a', 'b', 'lh']);

    /** Pings lost (nebula's restart keeps some from being sent at all: they count too) and late: a reply after more than 0.5 s. */
    const outcome = async (run: typeof aToB) => {
      const out = (await run).stdout;
      const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
      return { lost: count - rtts.length, late: rtts.filter((ms) => ms > 500).length, maxMs: Math.round(Math.max(0, ...rtts)) };
    };
    const [ab, ba] = [await outcome(aToB), await outcome(bToA)];
    console.log(
      `CA rotation under ping (every ${PING_INTERVAL_SECONDS} s, ${count} each way; agents poll every ${POLL_SECONDS} s): ` +
        `on the new CA after ${Object.entries(onNewCa).map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(', ')}; ` +
        `A→B ${ab.lost} lost, ${ab.late} late (slowest ${ab.maxMs} ms); B→A ${ba.lost} lost, ${ba.late} late (slowest ${ba.maxMs} ms)`,
    );
    // Each of A and B restarts nebula once after renewing (1.6.1 keeps tunnels on the old certificate otherwise),
    // and packets wait in nebula during the handshake: measured here 0 lost, 0 late. Renewing at once instead of two
    // polls later (B learns a second before A) made B's new certificate wait for A to trust its CA: 5 of B's pings
    // late, the slowest 1.5 s. The bound lets a loaded machine lose a restart's ping or two, not that.
    expect(ab.lost + ab.late + ba.lost + ba.late).toBeLessThanOrEqual(3);

    // Both run the new CA's certificates, and the cloud says so too.
    const [row] = await api.sql<{ n: number }[]>`
      select count(*)::int as n from vidsync.issued_certificates
       where fingerprint = any(${[agents.a!.state.fingerprint!, agents.b!.state.fingerprint!]}) and ca_fingerprint = ${newCa}`;
    expect(row!.n).toBe(2);
    expect(await canPing(world.hosts.a!, ips.b!, 3)).toBe(true);
  }, 60_000);

  it('C, still on the old CA, keeps working until the old CA is retired; then its peers refuse it', async () => {
    expect(await issuerOf('c')).toBe(oldCa);
    // C trusts both CAs, as its agent's next poll would make it (a peer on the new CA is refused by a ca.crt
    // without it), but has not renewed: restarted on the ca.crt its device fetches, it resumes on its old certificate.
    await agents.c!.stop();
    const caBundle = await api.fetch(`config/${agents.c!.state.deviceId}/ca`, { token: tokens.c });
    await writeFile(join(dirOf('c'), 'ca.crt'), await caBundle.text());
    await agent('c', { pollSeconds: 600 }).start();
    expect(await issuerOf('c')).toBe(oldCa);
    await waitForPing(world.hosts.c!, ips.lh!, { timeoutMs: 15_000 });
    // C's current certificate keeps the old CA trusted.
    expect(await trusted()).toEqual([newCa, oldCa]);
    expect(await canPing(world.hosts.a!, ips.c!, 3)).toBe(true);
    expect(await canPing(world.hosts.c!, ips.b!, 3)).toBe(true);

    const t0 = performance.now();
    const retired = await api.fetch(`ca/${project.projectId}/${oldCa}`, { method: 'DELETE', token: tokens.lh });
    expect(retired.status).toBe(200);
    expect(await trusted()).toEqual([newCa]);

    // Each peer's agent sees the trust set shrink at its next poll, rewrites ca.crt and restarts nebula 1.6.1.
    const applied = (name: string) => logs[name]!.some((l) => l.includes('a CA left the trust set on nebula 1.6.1: restarting nebula'));
    while (performance.now() - t0 < 15_000 && !['lh', 'a', 'b'].every(applied)) await sleep(100);
    const appliedMs = performance.now() - t0;
    expect(['lh', 'a', 'b'].filter(applied)).toEqual(['lh', 'a', 'b']);
    // Up again, and refusing C: A reaches the lighthouse but not C, C reaches neither A nor B.
    await waitForPing(world.hosts.a!, ips.lh!, { timeoutMs: 10_000 });
    await waitForPing(world.hosts.b!, ips.lh!, { timeoutMs: 10_000 });
    expect(await canPing(world.hosts.a!, ips.c!, 3)).toBe(false);
    expect(await canPing(world.hosts.c!, ips.b!, 3)).toBe(false);
    expect(await canPing(world.hosts.c!, ips.a!, 3)).toBe(false);
    const refusals = [...logs.a!, ...logs.b!, ...logs.lh!].filter((l) => l.includes('Invalid certificate from host') && l.includes('rotation c'));
    expect(refusals.length).toBeGreaterThan(0);
    console.log(`old CA retired → every peer of C had rewritten ca.crt and restarted nebula after ${(appliedMs / 1000).toFixed(1)} s (agents poll every ${POLL_SECONDS} s); then C was refused`);
    // (A and B do not necessarily reach each other at once: the lighthouse restarted too and, on 1.6, knows a host
    // again only when it reports, every lighthouse.interval = 60 s.)
  }, 45_000);
});
