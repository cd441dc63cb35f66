import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, zipSync } from 'fflate';
import { buildBundle, BUNDLE_FILE_NAMES, unzipBundle, zipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';

const files = { 'ca.crt': 'CA PEM\n', 'node.crt': 'NODE PEM\n', 'nebula.yml': 'pki: {}\n', 'README.md': '# hi\n' };

/** File names in the order they appear in the zip's central directory. */
function centralDirectoryNames(zip: Uint8Array): string[] {
  const names: string[] = [];
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (view.getUint32(i, true) !== 0x02014b50) continue;
    const len = view.getUint16(i + 28, true);
    names.push(new TextDecoder().decode(zip.subarray(i + 46, i + 46 + len)));
  }
  return names;
}

describe('zipBundle', () => {
  it('gives identical bytes for the same input', () => {
    const a = zipBundle(files);
    const b = zipBundle({ ...files });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('gives identical bytes in every time zone', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const utc = zipBundle(files);
      process.env.TZ = 'Pacific/Kiritimati';
      const plus14 = zipBundle(files);
      process.env.TZ = 'America/Los_Angeles';
      const minus8 = zipBundle(files);
      expect(Buffer.from(utc).equals(Buffer.from(plus14))).toBe(true);
      expect(Buffer.from(utc).equals(Buffer.from(minus8))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('keeps the given file order and round-trips the contents', () => {
    const zip = zipBundle(files);
    expect(centralDirectoryNames(zip)).toEqual(Object.keys(files));
    const back = unzipBundle(zip);
    expect(Object.fromEntries(Object.entries(back).map(([k, v]) => [k, strFromU8(v)]))).toEqual(files);
  });

  it('refuses archives that expand too far, and garbage', () => {
    const bomb = zipSync({ big: new Uint8Array(5 * 1024 * 1024) }, { level: 9 });
    expect(() => unzipBundle(bomb)).toThrow(expect.objectContaining({ code: 'input_too_large' }));
    expect(() => unzipBundle(new Uint8Array([1, 2, 3, 4]))).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});

describe('buildBundle', () => {
  const input = {
    projectId: '3f2c1a9e-1111-4222-8333-abcdefabcdef',
    deviceName: 'laptop',
    caPem: '-----BEGIN NEBULA CERTIFICATE-----\nCA\n-----END NEBULA CERTIFICATE-----\n',
    certPem: '-----BEGIN NEBULA CERTIFICATE-----\nNODE\n-----END NEBULA CERTIFICATE-----\n',
    notAfter: new Date('2026-12-01T00:00:00Z'),
    overlayCidr: '10.99.3.0/24',
    self: { ip: '10.99.3.7', isLighthouse: false },
    lighthouses: [{ ip: '10.99.3.1', endpoints: ['203.0.113.7:4242'] }],
  };

  it('zips ca.crt, node.crt, nebula.yml, README.md in that order, without a private key', () => {
    const { files: out, zip } = buildBundle(input);
    expect(Object.keys(out)).toEqual([...BUNDLE_FILE_NAMES]);
    expect(centralDirectoryNames(zip)).toEqual([...BUNDLE_FILE_NAMES]);
    expect(out['ca.crt']).toBe(input.caPem);
    expect(out['node.crt']).toBe(input.certPem);
    expect(strFromU8(zip)).not.toMatch(/PRIVATE KEY/);
    expect(Object.values(out).join('')).not.toMatch(/PRIVATE KEY/);
    expect(Buffer.from(buildBundle(input).zip).equals(Buffer.from(zip))).toBe(true);
  });

  it('keeps the device name out of nebula.yml, so no name can change it', () => {
    const hostile = buildBundle({ ...input, deviceName: 'x"\n  firewall: {inbound: []}\n# $(reboot)', projectName: "'; drop table" });
    expect(hostile.files['nebula.yml']).toBe(buildBundle(input).files['nebula.yml']);
  });
});

const skipPython = missing(binary('python3'));
describe.runIf(!skipPython)('a reference zip reader (Python zipfile)', () => {
  it('reads our zip: names, contents, 2020-01-01 timestamps, 0644 mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-zip-'));
    try {
      writeFileSync(join(dir, 'b.zip'), zipBundle(files));
      const script = [
        'import zipfile, json, sys',
        'z = zipfile.ZipFile(sys.argv[1])',
        'assert z.testzip() is None',
        'print(json.dumps([[i.filename, list(i.date_time), (i.external_attr >> 16) & 0o777, z.read(i).decode()] for i in z.infolist()]))',
      ].join('\n');
      const out = JSON.parse(execFileSync('python3', ['-c', script, join(dir, 'b.zip')], { encoding: 'utf8' })) as [string, number[], number, string][];
      expect(out.map((e) => e[0])).toEqual(Object.keys(files));
      expect(out.map((e) => e[3])).toEqual(Object.values(files));
      for (const [, date, mode] of out) {
        expect(date).toEqual([2020, 1, 1, 0, 0, 0]);
        expect(mode).toBe(0o644);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
