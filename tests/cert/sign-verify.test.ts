// Signing and verification in-process: nebula's order of checks, one code per
// refusal, CA constraints enforced before signing.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
import {
  createCertificateAuthority,
  createEd25519Signer,
  generateX25519KeyPair,
  type HostCertificateOptions,
  parseCertificatePem,
  signCertificate,
  signHostCertificate,
  verifyCertificate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { codeOf } from '../support/outcomes.ts';

const now = new Date('2030-01-01T00:00:00Z');
const hour = 3600 * 1000;

async function setup() {
  const ca = await createCertificateAuthority({ name: 'Test CA', ips: ['10.99.0.0/16'], subnets: ['192.168.0.0/16'], groups: ['a', 'b'], now, durationSeconds: 24 * 3600 });
  const { publicKey } = await generateX25519KeyPair();
  const sign = (extra: Partial<HostCertificateOptions> = {}) =>
    signHostCertificate({ ca: { certificate: ca.certificatePem, privateKey: ca.privateKeyPem }, publicKey, name: 'host', ip: '10.99.1.5/24', groups: ['a'], now, ...extra });
  return { ca, publicKey, sign };
}

describe('signHostCertificate', () => {
  it('signs what the issue-4 function asks for and verifies', async () => {
    const { ca, sign } = await setup();
    const cert = await sign({ subnets: ['192.168.7.9/24'] });
    expect(cert.details.ips).toEqual([{ address: '10.99.1.5', prefix: 24 }]);
    expect(cert.details.subnets).toEqual([{ address: '192.168.7.0', prefix: 24 }]);
    expect(cert.details.issuer).toBe(ca.fingerprint);
    expect(cert.details.notBefore).toEqual(now);
    // nebula-cert's default: one second before the CA expires
    expect(cert.details.notAfter.getTime()).toBe(ca.details.notAfter.getTime() - 1000);
    const verified = await verifyCertificate(cert.pem, { cas: [ca.certificatePem], now });
    expect(verified.fingerprint).toBe(cert.fingerprint);
    expect(verified.caFingerprint).toBe(ca.fingerprint);
  });

  it.each<[string, Record<string, unknown>, ErrorCode]>([
    ['ip outside the CA networks', { ip: '10.98.1.5/24' }, 'ca_constraint_ip'],
    ['ip with a shorter mask than the CA', { ip: '10.99.1.5/8' }, 'ca_constraint_ip'],
    ['subnet outside the CA subnets', { subnets: ['172.16.0.0/24'] }, 'ca_constraint_subnet'],
    ['group outside the CA groups', { groups: ['a', 'z'] }, 'ca_constraint_group'],
    ['validity past the CA', { notAfter: new Date(now.getTime() + 48 * hour) }, 'ca_constraint_validity'],
    ['validity before the CA', { notBefore: new Date(now.getTime() - hour) }, 'ca_constraint_validity'],
    ['CA expired', { now: new Date(now.getTime() + 25 * hour) }, 'ca_expired'],
    ['bad public key length', { publicKey: new Uint8Array(31) }, 'key_length'],
    ['bad ip text', { ip: '10.99.1.5' }, 'validation_failed'],
    ['empty name', { name: '' }, 'validation_failed'],
  ])('refuses: %s → %s', async (_what, extra, code) => {
    const { sign } = await setup();
    expect(await codeOf(sign(extra))).toBe(code);
  });

  it('refuses a CA key that does not belong to the CA certificate', async () => {
    const { publicKey } = await setup();
    const a = await createCertificateAuthority({ name: 'A', now });
    const b = await createCertificateAuthority({ name: 'B', now });
    const p = signHostCertificate({ ca: { certificate: a.certificatePem, privateKey: b.privateKey }, publicKey, name: 'h', ip: '10.0.0.1/8', now });
    expect(await codeOf(p)).toBe('ca_key_mismatch');
  });
});

describe('verifyCertificate, in nebula 1.6.1 order', () => {
  it.each<[string, (s: Awaited<ReturnType<typeof setup>>) => Promise<unknown>, ErrorCode]>([
    ['blocklisted', async ({ ca, sign }) => { const c = await sign(); return verifyCertificate(c.pem, { cas: ca.certificatePem, now, blocklist: [c.fingerprint] }); }, 'cert_blocklisted'],
    ['unknown CA', async ({ sign }) => { const other = await createCertificateAuthority({ name: 'other', now }); return verifyCertificate((await sign()).pem, { cas: other.certificatePem, now }); }, 'cert_issuer_unknown'],
    ['a CA has no issuer', async ({ ca }) => verifyCertificate(ca.certificatePem, { cas: ca.certificatePem, now }), 'cert_issuer_unknown'],
    ['CA expired at `now`', async ({ ca, sign }) => verifyCertificate((await sign()).pem, { cas: ca.certificatePem, now: new Date(now.getTime() + 25 * hour) }), 'ca_expired'],
    ['cert expired', async ({ ca, sign }) => verifyCertificate((await sign({ durationSeconds: 60 })).pem, { cas: ca.certificatePem, now: new Date(now.getTime() + hour) }), 'cert_expired'],
    ['cert not yet valid', async ({ ca, sign }) => verifyCertificate((await sign({ notBefore: new Date(now.getTime() + hour) })).pem, { cas: ca.certificatePem, now }), 'cert_not_yet_valid'],
    ['tampered signature', async ({ ca, sign }) => { const c = (await sign()).certificate; const signature = c.signature.slice(); signature[0]! ^= 1; return verifyCertificate({ ...c, signature }, { cas: ca.certificatePem, now }); }, 'cert_signature_invalid'],
    ['a host cert offered as CA', async ({ ca, sign }) => verifyCertificate((await sign()).pem, { cas: [ca.certificatePem, (await sign()).pem], now }), 'cert_not_ca'],
  ])('%s → %s', async (_what, run, code) => {
    expect(await codeOf(run(await setup()))).toBe(code);
  });

  it('constraints are checked on verify too (cert signed past the CA limits with the raw signer)', async () => {
    const { ca, sign } = await setup();
    const good = await sign();
    const signer = await createEd25519Signer(ca.privateKey);
    const forged = await signCertificate({ ...good.details, groups: ['z'] }, signer);
    expect(await codeOf(verifyCertificate(forged, { cas: ca.certificatePem, now }))).toBe('ca_constraint_group');
    const outside = await signCertificate({ ...good.details, ips: [{ address: '10.1.1.1', prefix: 24 }] }, signer);
    expect(await codeOf(verifyCertificate(outside, { cas: ca.certificatePem, now }))).toBe('ca_constraint_ip');
  });

  it('several CAs (rotation): the right one is found by issuer', async () => {
    const { ca, sign } = await setup();
    const other = await createCertificateAuthority({ name: 'other', now });
    const c = await sign();
    const verified = await verifyCertificate(parseCertificatePem(c.pem), { cas: other.certificatePem + ca.certificatePem, now });
    expect(verified.ca.details.name).toBe('Test CA');
  });
});
