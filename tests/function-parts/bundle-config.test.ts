import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNebulaConfig, MAX_TUN_DEVICE_CHARS, toNebulaYaml, tunDeviceName } from '../../supabase/functions/_shared/bundle/nebula-config.ts';
import type { NebulaConfigInput } from '../../supabase/functions/_shared/bundle/nebula-config.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';

const PROJECT = '3f2c1a9e-1111-4222-8333-abcdefabcdef';
const device: NebulaConfigInput = {
  projectId: PROJECT,
  overlayCidr: '10.99.3.0/24',
  self: { ip: '10.99.3.7', isLighthouse: false },
  lighthouses: [
    { ip: '10.99.3.1', endpoints: ['127.0.0.1:4242', '[::1]:4242'] },
    { ip: '10.99.3.2', endpoints: ['127.0.0.2:4243'] },
  ],
};
const lighthouse: NebulaConfigInput = { ...device, self: { ip: '10.99.3.1', isLighthouse: true } };

/** YAML as nebula (go-yaml, YAML 1.1) reads it. */
const readAsNebula = (text: string) => parse(text, { version: '1.1' }) as Record<string, any>;

describe('buildNebulaConfig', () => {
  it('builds an ordinary device: lighthouses, relays through them, random port', () => {
    const c = readAsNebula(buildNebulaConfig(device));
    expect(c.pki).toEqual({ ca: 'ca.crt', cert: 'node.crt', key: 'host.key', blocklist: [], disconnect_invalid: true });
    expect(c.static_host_map).toEqual({ '10.99.3.1': ['127.0.0.1:4242', '[::1]:4242'], '10.99.3.2': ['127.0.0.2:4243'] });
    expect(c.lighthouse).toEqual({ am_lighthouse: false, interval: 60, hosts: ['10.99.3.1', '10.99.3.2'] });
    expect(c.listen.port).toBe(0);
    expect(c.relay).toEqual({ am_relay: false, use_relays: true, relays: ['10.99.3.1', '10.99.3.2'] });
    // Throughput settings (README "Throughput"): 4 MiB socket buffers, a
    // 1000-packet tun queue (was 500), the internet-safe MTU.
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 0, read_buffer: 4194304, write_buffer: 4194304 });
    expect(c.tun.tx_queue).toBe(1000);
    expect(c.tun.mtu).toBe(1300);
    expect(c.routines).toBeUndefined();
    expect(c.punchy).toEqual({ punch: true, respond: true });
    expect(c.tun.dev).toBe(tunDeviceName(PROJECT));
    expect(c.firewall.inbound).toEqual([{ port: 'any', proto: 'any', host: 'any' }]);
    expect(c.firewall.outbound).toEqual([{ port: 'any', proto: 'any', host: 'any' }]);
  });

  it('builds a lighthouse: fixed port, no hosts, relays for others, skips itself', () => {
    const c = readAsNebula(buildNebulaConfig(lighthouse));
    expect(c.lighthouse.am_lighthouse).toBe(true);
    expect(c.lighthouse.hosts).toEqual([]);
    expect(c.listen.port).toBe(4242);
    expect(c.listen.read_buffer).toBe(4194304);
    expect(c.relay).toEqual({ am_relay: true, use_relays: false, relays: [] });
    expect(Object.keys(c.static_host_map)).toEqual(['10.99.3.2']);
    expect(readAsNebula(buildNebulaConfig({ ...lighthouse, self: { ...lighthouse.self, listenPort: 5000 } })).listen.port).toBe(5000);
    // Without an explicit port: the one its own endpoint announces, else 4242.
    const second = { ...lighthouse, self: { ip: '10.99.3.2', isLighthouse: true } };
    expect(readAsNebula(buildNebulaConfig(second)).listen.port).toBe(4243);
    expect(readAsNebula(buildNebulaConfig({ ...second, lighthouses: [] })).listen.port).toBe(4242);
  });

  it('builds a device of a project without lighthouses yet', () => {
    const c = readAsNebula(buildNebulaConfig({ ...device, lighthouses: [] }));
    expect(c.static_host_map).toEqual({});
    expect(c.lighthouse.hosts).toEqual([]);
  });

  it.each<[string, Partial<NebulaConfigInput>]>([
    ['self outside the overlay', { self: { ip: '10.99.4.7', isLighthouse: false } }],
    ['a lighthouse outside the overlay (nebula 1.6.1 refuses it)', { lighthouses: [{ ip: '10.98.0.1', endpoints: ['127.0.0.1:1'] }] }],
    ['a malformed endpoint', { lighthouses: [{ ip: '10.99.3.1', endpoints: ['127.0.0.1:1\nfirewall: {}'] }] }],
    ['a lighthouse on port 0', { self: { ip: '10.99.3.1', isLighthouse: true, listenPort: 0 } }],
    ['a 16-character tun name', { tunDev: 'x'.repeat(16) }],
    ['a tun name with a slash', { tunDev: 'vs/1' }],
    ['a project id that is not a UUID', { projectId: 'abc' }],
    ['a bad cidr', { overlayCidr: '10.99.3.0' }],
  ])('refuses %s', (_label, patch) => {
    expect(() => buildNebulaConfig({ ...device, ...patch })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});

describe('pki.blocklist', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  it('lists revoked fingerprints sorted and once, so the same set gives the same text', () => {
    const one = buildNebulaConfig({ ...device, blocklist: [b, a, b] });
    expect(readAsNebula(one).pki.blocklist).toEqual([a, b]);
    expect(buildNebulaConfig({ ...device, blocklist: [a, b] })).toBe(one);
    expect(readAsNebula(one).pki.disconnect_invalid).toBe(true);
  });
  it('refuses anything but lowercase hex fingerprints', () => {
    expect(() => buildNebulaConfig({ ...device, blocklist: ['A'.repeat(64)] })).toThrow(/blocklist/);
    expect(() => buildNebulaConfig({ ...device, blocklist: ['a\nb: c'] })).toThrow(/blocklist/);
  });
});

describe('tunDeviceName', () => {
  it('is short, stable, and distinct per project', () => {
    const name = tunDeviceName(PROJECT);
    expect(name).toBe('vsabcdefabcdef');
    expect(name.length).toBeLessThanOrEqual(MAX_TUN_DEVICE_CHARS);
    expect(tunDeviceName(PROJECT.toUpperCase())).toBe(name);
    const names = new Set(Array.from({ length: 1000 }, () => tunDeviceName(crypto.randomUUID())));
    expect(names.size).toBe(1000);
  });
});

describe('YAML injection', () => {
  const hostile = [
    'evil\nfirewall:\n  inbound: []',
    '"quoted" \'single\'',
    'on', 'yes', 'no', 'off', 'y', 'n', '~', 'null', 'true', '0x1F', '1:20', '010', '.inf', '1e3',
    '- item', '? key', ': value', '#comment', '&anchor', '*alias', '!!binary AAAA', '%YAML 1.2', '---', '...',
    '{a: 1}', '[1, 2]', '|\n  block', '>\n  folded', '$(rm -rf /)', '`id`', 'a\u2028b', 'tab\there', '\u0000nul',
  ];

  it('keeps hostile strings as the same strings, in keys and values', () => {
    for (const s of hostile) {
      const value = { pki: { key: s }, static_host_map: { [s]: [s, 'x'] }, list: [s] };
      expect(readAsNebula(toNebulaYaml(value))).toEqual(value);
    }
  });

  it('round-trips arbitrary strings as go-yaml (YAML 1.1) would read them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 10 }), (a, b) => {
        const value = { pki: { key: a }, static_host_map: { [b || 'k']: [a] }, tun: { dev: b } };
        expect(readAsNebula(toNebulaYaml(value))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});

const skipNebula = missing(binary('nebula'), binary('nebula-cert'));
describe.runIf(!skipNebula)('nebula 1.6.1 accepts the generated configs (nebula -test)', () => {
  it('for a device and for a lighthouse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-nebula-config-'));
    try {
      const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
      run('nebula-cert', ['ca', '-name', 'test project', '-duration', '1h']);
      for (const [name, ip] of [['device', '10.99.3.7/24'], ['lh', '10.99.3.1/24']] as const) {
        run('nebula-cert', ['sign', '-name', name, '-ip', ip, '-out-crt', `${name}.crt`, '-out-key', `${name}.key`]);
      }
      writeFileSync(join(dir, 'device.yml'), buildNebulaConfig({ ...device, paths: { cert: 'device.crt', key: 'device.key' }, blocklist: ['ab'.repeat(32)] }));
      writeFileSync(join(dir, 'lh.yml'), buildNebulaConfig({ ...lighthouse, paths: { cert: 'lh.crt', key: 'lh.key' } }));
      // Throws (with nebula's output) on a non-zero exit.
      run('nebula', ['-test', '-config', 'device.yml']);
      run('nebula', ['-test', '-config', 'lh.yml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// nebula 1.6.1 ignores keys it does not know without a word, so "accepted"
// means: it logged that it applied them. Run in a network namespace of its
// own (unshare), where its tun device touches nothing.
const skipRunning = missing(isRoot, binary('nebula'), binary('nebula-cert'), binary('unshare'), binary('ip'));
describe.runIf(!skipRunning)('nebula 1.6.1 applies the throughput settings', () => {
  it('4 MiB socket buffers (the kernel reports double), tun MTU 1300 and queue 1000; buffers above net.core.rmem_max too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-nebula-run-'));
    try {
      const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: 'pipe', timeout: 30_000, encoding: 'utf8' });
      run('nebula-cert', ['ca', '-name', 'test project', '-duration', '1h']);
      run('nebula-cert', ['sign', '-name', 'device', '-ip', '10.99.3.7/24', '-out-crt', 'device.crt', '-out-key', 'device.key']);
      const dev = 'vsthroughput';
      const shipped = buildNebulaConfig({ ...device, tunDev: dev, paths: { cert: 'device.crt', key: 'device.key' } });
      const runNebula = (yml: string) => {
        writeFileSync(join(dir, 'device.yml'), yml);
        const script = [
          'nebula -config device.yml > nebula.log 2>&1 & pid=$!',
          `for i in $(seq 100); do ip -o link show dev ${dev} 2>/dev/null | grep -q ',UP' && break; sleep 0.05; done`,
          `ip -o link show dev ${dev}`,
          'kill $pid; wait $pid; cat nebula.log',
        ].join('\n');
        return run('unshare', ['--net', 'sh', '-c', script]);
      };
      const out = runNebula(shipped);
      expect(out).toMatch(/mtu 1300 /);
      expect(out).toMatch(/qlen 1000\b/);
      expect(out).toMatch(/listen\.read_buffer was set" size=8388608/);
      expect(out).toMatch(/listen\.write_buffer was set" size=8388608/);
      // Twice the kernel's cap still applies in full: nebula uses SO_RCVBUFFORCE,
      // so users need not raise net.core.rmem_max / wmem_max (README "Throughput").
      const cap = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      const above = readAsNebula(shipped);
      above.listen.read_buffer = 2 * cap;
      expect(runNebula(toNebulaYaml(above))).toMatch(new RegExp(`listen\\.read_buffer was set" size=${4 * cap}\\b`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
