// Differential tests against the real nebula-cert (Debian's nebula 1.6.1), in
// both directions: it accepts what we sign and prints exactly our fields and
// fingerprint; we parse, verify and re-encode byte for byte what it makes; and
// both refuse the same bad certificates.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
import { codeOrThrow } from '../support/outcomes.ts';
import {
  certificateToNebulaJsonString,
  certificateToNebulaText,
  certificateToPem,
  createCertificateAuthority,
  createEd25519Signer,
  generateX25519KeyPair,
  type DetailsV1,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  signCertificate,
  signHostCertificate,
  verifyCertificate,
  x25519PublicKeyFromPrivate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';

const skip = missing(binary('nebula-cert'));
const dir = mkdtempSync(join(tmpdir(), 'cert-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function file(content: string): string {
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, content);
  return path;
}

/** Runs nebula-cert in UTC (its JSON prints local time) and returns { ok, out }. */
function nebulaCert(...args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('nebula-cert', args, { cwd: dir, env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

function nebulaVerify(caPem: string, certPem: string) {
  return nebulaCert('verify', '-ca', file(caPem), '-crt', file(certPem));
}


describe.runIf(!skip)('interop with nebula-cert 1.6.1', () => {
  it('certificates we sign pass nebula-cert verify; print -json and print show exactly ours', async () => {
    const ca = await createCertificateAuthority({ name: 'Our CA', ips: ['10.99.0.0/16'], subnets: ['192.168.0.0/16'], groups: ['laptops', 'phones'] });
    expect(nebulaVerify(ca.certificatePem, ca.certificatePem).ok).toBe(false); // a CA has no issuer: sanity check that verify can fail
    for (const [i, extra] of [
      { groups: ['laptops'], subnets: ['192.168.3.0/24'] },
      { groups: [] as string[] },
      { groups: ['laptops', 'phones'], subnets: ['192.168.4.0/24', '192.168.5.128/25'] },
    ].entries()) {
      const { publicKey } = await generateX25519KeyPair();
      const cert = await signHostCertificate({ ca: { certificate: ca.certificatePem, privateKey: ca.privateKeyPem }, publicKey, name: `device <${i}> & co`, ip: `10.99.${i}.5/24`, ...extra });
      const v = nebulaVerify(ca.certificatePem, cert.pem);
      expect(v.err).toBe('');
      expect(v.ok).toBe(true);
      const path = file(cert.pem);
      const json = nebulaCert('print', '-json', '-path', path);
      expect(json.out).toBe((await certificateToNebulaJsonString(cert.certificate)) + '\n');
      expect(JSON.parse(json.out).fingerprint).toBe(cert.fingerprint);
      expect(nebulaCert('print', '-path', path).out).toBe((await certificateToNebulaText(cert.certificate)) + '\n');
    }
    const caJson = nebulaCert('print', '-json', '-path', file(ca.certificatePem));
    expect(caJson.out).toBe((await certificateToNebulaJsonString(ca.certificate)) + '\n');
  });

  it('CAs and certificates made by nebula-cert parse, verify and re-encode byte-identically', async () => {
    execFileSync('nebula-cert', ['ca', '-name', 'Their CA', '-ips', '10.50.0.0/16,10.60.1.1/24', '-subnets', '172.16.0.0/12', '-groups', 'g1,g2,g3', '-duration', '10h', '-out-crt', 'theirs.ca.crt', '-out-key', 'theirs.ca.key'], { cwd: dir });
    execFileSync('nebula-cert', ['sign', '-ca-crt', 'theirs.ca.crt', '-ca-key', 'theirs.ca.key', '-name', 'their-host', '-ip', '10.50.7.8/16', '-groups', 'g1, g3', '-subnets', '172.16.5.0/24', '-out-crt', 'theirs.crt', '-out-key', 'theirs.key'], { cwd: dir });
    const caPem = readFileSync(join(dir, 'theirs.ca.crt'), 'utf8');
    const certPem = readFileSync(join(dir, 'theirs.crt'), 'utf8');
    const ca = parseCertificatePem(caPem);
    const cert = parseCertificatePem(certPem);
    expect(certificateToPem(ca)).toBe(caPem);
    expect(certificateToPem(cert)).toBe(certPem);
    expect(ca.details.ips).toEqual([{ address: '10.50.0.0', prefix: 16 }, { address: '10.60.1.1', prefix: 24 }]);
    expect(cert.details).toMatchObject({ name: 'their-host', groups: ['g1', 'g3'], ips: [{ address: '10.50.7.8', prefix: 16 }], subnets: [{ address: '172.16.5.0', prefix: 24 }] });
    const verified = await verifyCertificate(certPem, { cas: caPem });
    const json = JSON.parse(nebulaCert('print', '-json', '-path', join(dir, 'theirs.crt')).out);
    expect(verified.fingerprint).toBe(json.fingerprint);
    expect(await certificateToNebulaJsonString(cert)).toBe(JSON.stringify(json));
    // The host key nebula-cert wrote belongs to the certificate.
    const { privateKey } = parseX25519PrivateKeyPem(readFileSync(join(dir, 'theirs.key'), 'utf8'));
    expect(await x25519PublicKeyFromPrivate(privateKey)).toEqual(cert.details.publicKey);
  });

  it('a CA made by nebula-cert (ca.crt + ca.key) signs through our code, and nebula-cert verifies the result', async () => {
    execFileSync('nebula-cert', ['ca', '-name', 'Their CA 2', '-ips', '10.70.0.0/16', '-groups', 'a,b', '-out-crt', 'ca2.crt', '-out-key', 'ca2.key'], { cwd: dir });
    execFileSync('nebula-cert', ['keygen', '-out-pub', 'dev.pub', '-out-key', 'dev.key'], { cwd: dir });
    const caPem = readFileSync(join(dir, 'ca2.crt'), 'utf8');
    const caKeyPem = readFileSync(join(dir, 'ca2.key'), 'utf8');
    const { publicKey } = parseX25519PublicKeyPem(readFileSync(join(dir, 'dev.pub'), 'utf8'));
    const cert = await signHostCertificate({ ca: { certificate: caPem, privateKey: caKeyPem }, publicKey, name: 'ours-under-theirs', ip: '10.70.1.2/16', groups: ['b'] });
    const v = nebulaVerify(caPem, cert.pem);
    expect(v.err).toBe('');
    expect(v.ok).toBe(true);
    expect(parseEd25519PrivateKeyPem(caKeyPem).publicKey).toEqual(parseCertificatePem(caPem).details.publicKey);
  });

  describe('bad certificates are refused by both', () => {
    async function fixture() {
      const past = new Date(Date.now() - 3 * 3600 * 1000);
      const ca = await createCertificateAuthority({ name: 'Strict CA', ips: ['10.80.0.0/16'], groups: ['ok'], notBefore: past, durationSeconds: 24 * 3600 });
      const signer = await createEd25519Signer(ca.privateKey);
      const { publicKey } = await generateX25519KeyPair();
      const good = await signHostCertificate({ ca: { certificate: ca.certificate, signer }, publicKey, name: 'h', ip: '10.80.1.1/24', groups: ['ok'] });
      // Signed with the raw signer, skipping our own pre-signing constraint checks.
      const forge = async (change: Partial<DetailsV1>) => certificateToPem(await signCertificate({ ...good.details, ...change }, signer));
      return { ca, good, forge, past };
    }

    it.each<[string, (f: Awaited<ReturnType<typeof fixture>>) => Promise<{ caPem: string; certPem: string }>, ErrorCode, RegExp]>([
      ['tampered signature', async ({ ca, good }) => {
        const sig = good.certificate.signature.slice();
        sig[5]! ^= 0x40;
        return { caPem: ca.certificatePem, certPem: certificateToPem({ ...good.certificate, bytes: reencode(good.certificate.detailsBytes, sig) }) };
      }, 'cert_signature_invalid', /signature did not match/],
      ['expired', async ({ ca, forge, past }) => ({ caPem: ca.certificatePem, certPem: await forge({ notBefore: past, notAfter: new Date(past.getTime() + 3600 * 1000) }) }), 'cert_expired', /certificate is expired/],
      ['signed by another CA', async ({ good }) => ({ caPem: (await createCertificateAuthority({ name: 'Other' })).certificatePem, certPem: good.pem }), 'cert_issuer_unknown', /could not find ca/],
      ['IP outside the CA networks', async ({ ca, forge }) => ({ caPem: ca.certificatePem, certPem: await forge({ ips: [{ address: '10.81.1.1', prefix: 24 }] }) }), 'ca_constraint_ip', /ip assignment outside/],
      ['group outside the CA groups', async ({ ca, forge }) => ({ caPem: ca.certificatePem, certPem: await forge({ groups: ['ok', 'admin'] }) }), 'ca_constraint_group', /group not present/],
    ])('%s', async (_what, make, code, nebulaMessage) => {
      const { caPem, certPem } = await make(await fixture());
      const theirs = nebulaVerify(caPem, certPem);
      expect(theirs.ok).toBe(false);
      expect(theirs.err).toMatch(nebulaMessage);
      expect(await codeOrThrow(verifyCertificate(certPem, { cas: caPem }))).toBe(code);
    });
  });
});

/** A certificate with the given details bytes and signature (RawNebulaCertificate, fields 1 and 2). */
function reencode(details: Uint8Array, signature: Uint8Array): Uint8Array {
  return Uint8Array.from([0x0a, ...varint(details.length), ...details, 0x12, ...varint(signature.length), ...signature]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
