// Signing and verification in-process, for both formats through the same
// calls: nebula's order of checks, one code per refusal, CA constraints
// enforced before signing; v2 over pools that mix v1 and v2 CAs, tampering,
// and P-256 via WebCrypto.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
import {
  type Certificate,
  createCaPool,
  createCertificateAuthority,
  createEd25519Signer,
  fingerprint,
  generateX25519KeyPair,
  type HostCertificateOptions,
  parseCertificate,
  parseCertificatePem,
  signCertificate,
  signHostCertificate,
  verifyCertificate,
  type VerifyOptions,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import * as v2 from '../../supabase/functions/_shared/nebula-cert/v2/codec.ts';
import { derElement } from '../../supabase/functions/_shared/nebula-cert/v2/der.ts';
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
  it('signs what the function asks for (a host certificate for one IP) and verifies', async () => {
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

// ---- Format v2 (and pools mixing v1 and v2) ----

/** Verification that reads and trusts either version. */
const verifyAny = (cert: string | Uint8Array | Certificate, options: Omit<VerifyOptions<'any'>, 'version'>) => verifyCertificate<'any'>(cert, { ...options, version: 'any' });

const start = new Date('2030-01-01T00:00:00Z');
const later = new Date('2030-01-01T01:00:00Z');

async function fixture() {
  const ca = await createCertificateAuthority({ version: 2, name: 'v2 ca', networks: ['10.99.0.0/16', 'fd00:99::/48'], groups: ['laptops', 'servers'], now: start });
  const device = await generateX25519KeyPair();
  const host = await signHostCertificate({
    version: 2,
    ca: { certificate: ca.certificatePem, privateKey: ca.privateKeyPem },
    publicKey: device.publicKey,
    name: 'laptop-1',
    networks: ['fd00:99::5/64', '10.99.1.5/24'],
    groups: ['laptops'],
    now: start,
  });
  return { ca, host };
}

describe('signing and verifying v2', () => {
  it('a v2 CA signs a dual-stack host; verification passes and names the CA', async () => {
    const { ca, host } = await fixture();
    expect(host.details.networks.map((n) => `${n.address}/${n.prefix}`)).toEqual(['10.99.1.5/24', 'fd00:99::5/64']);
    expect(host.details.issuer).toBe(ca.fingerprint);
    expect(host.details.notAfter.getTime()).toBe(ca.details.notAfter.getTime() - 1000);
    const verified = await verifyAny(host.pem, { cas: ca.certificatePem, now: later });
    expect(verified.fingerprint).toBe(host.fingerprint);
    expect(verified.caFingerprint).toBe(ca.fingerprint);
    expect(await fingerprint(parseCertificate(host.certificate.bytes, { version: 2 }))).toBe(host.fingerprint);
  });

  it('a tampered signature, public key or detail is rejected', async () => {
    const { ca, host } = await fixture();
    const c = host.certificate;
    const badSig = Uint8Array.from(c.signature);
    badSig[0]! ^= 1;
    expect(await codeOf(verifyAny(v2.assemble(c.details, c.detailsBytes, badSig), { cas: ca.certificatePem, now: later }))).toBe(
      'cert_signature_invalid',
    );
    const otherKey = (await generateX25519KeyPair()).publicKey;
    const swapped = v2.assemble({ ...c.details, publicKey: otherKey }, c.detailsBytes, c.signature);
    expect(await codeOf(verifyAny(swapped, { cas: ca.certificatePem, now: later }))).toBe('cert_signature_invalid');
    const renamed = v2.marshal({ ...c.details, name: 'laptop-2' });
    expect(await codeOf(verifyAny(v2.assemble(renamed.details, renamed.detailsBytes, c.signature), { cas: ca.certificatePem, now: later }))).toBe(
      'cert_signature_invalid',
    );
  });

  it('nebula’s order of checks: blocklist, issuer, CA expiry, expiry, signature, constraints', async () => {
    const { ca, host } = await fixture();
    const opts = { cas: ca.certificatePem, now: later };
    expect(await codeOf(verifyAny(host.pem, { ...opts, blocklist: [host.fingerprint] }))).toBe('cert_blocklisted');
    const other = await createCertificateAuthority({ version: 2, name: 'other', now: start });
    expect(await codeOf(verifyAny(host.pem, { cas: other.certificatePem, now: later }))).toBe('cert_issuer_unknown');
    expect(await codeOf(verifyAny(host.pem, { ...opts, now: new Date('2032-01-01T00:00:00Z') }))).toBe('ca_expired');
    const short = await signHostCertificate({ version: 2, ca: { certificate: ca.certificate, privateKey: ca.privateKey }, publicKey: host.details.publicKey, name: 's', networks: ['10.99.2.2/24'], now: start, durationSeconds: 60 });
    expect(await codeOf(verifyAny(short.pem, opts))).toBe('cert_expired');
  });

  it('CA limits are enforced before signing (networks of both families, groups)', async () => {
    const { ca } = await fixture();
    const base = { ca: { certificate: ca.certificate, privateKey: ca.privateKey }, publicKey: new Uint8Array(32).fill(1), name: 'h', now: start };
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['10.98.0.1/24'] }))).toBe('ca_constraint_ip');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['fd00:98::1/64'] }))).toBe('ca_constraint_ip');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['fd00:99::1/40'] }))).toBe('ca_constraint_ip'); // shorter prefix than the CA's
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['10.99.0.1/24'], groups: ['admins'] }))).toBe('ca_constraint_group');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: [] }))).toBe('validation_failed');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['10.99.0.1/24', '10.99.0.1/24'] }))).toBe('validation_failed');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['10.99.0.1/24'], unsafeNetworks: ['fd00:1::/64'] }))).toBe('validation_failed');
    expect(await codeOf(signHostCertificate({ version: 2, ...base, networks: ['10.99.0.1/24'], privateKey: undefined, ca: { certificate: ca.certificate, privateKey: new Uint8Array(64) } } as never))).toBe(
      'ca_key_mismatch',
    );
  });

  it('one pool may hold a v1 and a v2 CA; certificates of both versions verify against it', async () => {
    const { ca, host } = await fixture();
    const ca1 = await createCertificateAuthority({ name: 'v1 ca', ips: ['10.98.0.0/16'], now: start });
    const host1 = await signHostCertificate({ ca: { certificate: ca1.certificate, privateKey: ca1.privateKey }, publicKey: new Uint8Array(32).fill(2), name: 'old', ip: '10.98.0.7/16', now: start });
    const pool = await createCaPool(`${ca1.certificatePem}${ca.certificatePem}`, { version: 'any' });
    expect(pool.cas.size).toBe(2);
    expect((await verifyAny(host.pem, { cas: pool, now: later })).caFingerprint).toBe(ca.fingerprint);
    expect((await verifyAny(host1.pem, { cas: pool, now: later })).caFingerprint).toBe(ca1.fingerprint);
  });

  it('signCertificateV2 refuses P256 details (our signer is Ed25519)', async () => {
    const { ca } = await fixture();
    const key = new Uint8Array(65).fill(1);
    key[0] = 4;
    expect(await codeOf(signCertificate({ version: 2, ...ca.details, curve: 'P256', publicKey: key }, { publicKey: ca.publicKey, sign: async () => new Uint8Array(64) }))).toBe('validation_failed');
  });
});

describe('P-256 certificates (verified with WebCrypto ECDSA)', () => {
  /** r || s from WebCrypto → nebula's ASN.1 ECDSA-Sig-Value. */
  function toDerSignature(raw: Uint8Array): Uint8Array {
    const integer = (b: Uint8Array) => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0 && b[i + 1]! < 0x80) i++;
      const v = b.subarray(i);
      return derElement(0x02, ...(v[0]! >= 0x80 ? [Uint8Array.of(0), v] : [v]));
    };
    return derElement(0x30, integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  }

  it('a self-signed P256 CA and a host it signs verify; a tampered one does not', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const caPublic = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    const sign = async (details: Parameters<typeof v2.marshal>[0]) => {
      const m = v2.marshal(details);
      const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, v2.signedBytesOf(m.detailsBytes, 1, m.details.publicKey)));
      return v2.assemble(m.details, m.detailsBytes, toDerSignature(raw));
    };
    const ca = await sign({ name: 'p256 ca', networks: [], unsafeNetworks: [], groups: [], notBefore: start, notAfter: new Date('2031-01-01T00:00:00Z'), isCA: true, issuer: '', curve: 'P256', publicKey: caPublic });
    const hostKey = Uint8Array.from(caPublic); // any valid point will do as the host's key here
    const host = await sign({
      name: 'p256 host',
      networks: [{ address: '10.5.0.1', prefix: 24 }],
      unsafeNetworks: [],
      groups: [],
      notBefore: start,
      notAfter: new Date('2030-06-01T00:00:00Z'),
      isCA: false,
      issuer: await fingerprint(ca),
      curve: 'P256',
      publicKey: hostKey,
    });
    const caParsed = parseCertificate(ca.bytes, { version: 2 });
    expect(caParsed.details.curve).toBe('P256');
    const verified = await verifyAny(parseCertificate(host.bytes, { version: 2 }), { cas: [caParsed], now: later });
    expect(verified.fingerprint).toBe(await fingerprint(host));
    const bad = Uint8Array.from(host.signature);
    bad[bad.length - 1]! ^= 1;
    expect(await codeOf(verifyAny(v2.assemble(host.details, host.detailsBytes, bad), { cas: [caParsed], now: later }))).toBe('cert_signature_invalid');
  });
});
