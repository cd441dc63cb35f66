// Property tests for both formats: any valid certificate round-trips byte for
// byte, and no input (random bytes, mutated certificates, random PEM) makes a
// parser throw anything but a VidsyncError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import {
  type Certificate,
  certificateToPem,
  createEd25519Signer,
  type DetailsV1,
  type DetailsV2,
  ed25519KeyPairFromSeed,
  parseCertificate,
  parseCertificateBundlePem,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  signCertificate,
  type ToBeSigned,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';

const octet = fc.integer({ min: 0, max: 255 });
const seconds = fc.integer({ min: -62_000_000_000, max: 250_000_000_000 });
const date = seconds.filter((s) => s !== 0).map((s) => new Date(s * 1000));
const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 });
const issuer = fc.oneof(fc.constant(''), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')));

/** v1: IPv4 only, any name and groups (empty ones included), host addresses kept. */
const cidr = fc.record({ address: fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')), prefix: fc.integer({ min: 0, max: 32 }) });
const detailsV1: fc.Arbitrary<DetailsV1> = fc.record({
  name: fc.string({ maxLength: 40, unit: 'grapheme' }),
  ips: fc.array(cidr, { maxLength: 4 }),
  subnets: fc.array(cidr, { maxLength: 4 }),
  groups: fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }),
  notBefore: date,
  notAfter: date,
  publicKey,
  isCA: fc.boolean(),
  issuer,
});

/** v2: IPv4 and IPv6, within nebula's rules (a name, a host has a network, no duplicates). */
const v4 = fc.record({ address: fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')), prefix: fc.integer({ min: 0, max: 32 }) });
const v6 = fc.record({
  address: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => [0xfd00, ...g.slice(1)].map((x) => x.toString(16)).join(':')),
  prefix: fc.integer({ min: 0, max: 128 }),
});
const network = fc.oneof(v4, v6);
const detailsV2: fc.Arbitrary<DetailsV2> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => new TextEncoder().encode(s).length <= 253),
    networks: fc.uniqueArray(network, { minLength: 1, maxLength: 4, selector: (n) => `${n.address}/${n.prefix}` }),
    unsafeNetworks: fc.uniqueArray(network, { maxLength: 3, selector: (n) => `${n.address}/${n.prefix}` }),
    groups: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 5 }),
    notBefore: seconds.map((s) => new Date(s * 1000)),
    notAfter: seconds.map((s) => new Date(s * 1000)),
    publicKey,
    isCA: fc.boolean(),
    issuer,
  })
  // nebula: a host's unsafe networks need a network of the same family (CAs are exempt)
  .map((d) => ({
    ...d,
    curve: 'CURVE25519' as const,
    unsafeNetworks: d.isCA ? d.unsafeNetworks : d.unsafeNetworks.filter((u) => d.networks.some((n) => n.address.includes(':') === u.address.includes(':'))),
  }));

const toBeSigned: Record<1 | 2, fc.Arbitrary<ToBeSigned>> = {
  1: detailsV1,
  2: detailsV2.map((d) => ({ version: 2 as const, ...d })),
};

function onlyOurErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isVidsyncError(e)) throw e;
  }
}

const signerOf = async (seedByte: number) => createEd25519Signer((await ed25519KeyPairFromSeed(new Uint8Array(32).fill(seedByte))).privateKey);

describe('properties', () => {
  it.each([
    [1, 200],
    [2, 150],
  ] as const)('random valid v%i certificates round-trip byte-identically (bytes, PEM, details)', async (version, numRuns) => {
    const signer = await signerOf(1);
    await fc.assert(
      fc.asyncProperty(toBeSigned[version], async (tbs) => {
        const cert: Certificate = await signCertificate(tbs, signer);
        expect(cert.version).toBe(version);
        // v1 signs the details as given; v2 sorts networks first, as nebula does.
        if (version === 1) expect(cert.details).toEqual(tbs);
        const parsed = parseCertificate(cert.bytes, { version });
        expect(parsed.bytes).toEqual(cert.bytes);
        expect(parsed.details).toEqual(cert.details);
        const again = parseCertificatePem(certificateToPem(cert), { version: 'any' });
        expect(again.bytes).toEqual(cert.bytes);
        expect(certificateToPem(again)).toBe(certificateToPem(cert));
      }),
      { numRuns },
    );
  });

  it('random bytes never crash the parsers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyOurErrors(() => parseCertificate(bytes));
        onlyOurErrors(() => parseCertificate(bytes, { version: 2 }));
        onlyOurErrors(() => parseCertificate(bytes, { version: 'any' }));
        onlyOurErrors(() => parseCertificatePem(`-----BEGIN NEBULA CERTIFICATE V2-----\n${bytesToBase64(bytes)}\n-----END NEBULA CERTIFICATE V2-----\n`, { version: 'any' }));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([1, 2] as const)('mutated valid v%i certificates never crash the parser', async (version) => {
    const signer = await signerOf(2);
    const certs = await Promise.all(fc.sample(toBeSigned[version], { numRuns: 20, seed: 7 }).map((d) => signCertificate(d, signer)));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: certs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 8 }),
        fc.nat(),
        (i, edits, cutEnd, cutAt) => {
          const bytes = certs[i]!.bytes.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          onlyOurErrors(() => parseCertificate(bytes.subarray(0, Math.max(0, bytes.length - cutEnd)), { version }));
          onlyOurErrors(() => parseCertificate(bytes.subarray(0, cutAt % (bytes.length + 1)), { version: 'any' }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random PEM-ish text never crashes the PEM parsers', () => {
    const banner = fc.constantFrom('NEBULA CERTIFICATE', 'NEBULA X25519 PUBLIC KEY', 'NEBULA ED25519 PRIVATE KEY', 'NEBULA CERTIFICATE V2', 'X');
    const pem = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(banner, fc.uint8Array({ maxLength: 120 }), fc.string({ maxLength: 10 })).map(
        ([b, body, junk]) => `${junk}-----BEGIN ${b}-----\n${bytesToBase64(body)}\n-----END ${b}-----\n${junk}`,
      ),
      fc.tuple(banner, fc.string({ maxLength: 80 })).map(([b, body]) => `-----BEGIN ${b}-----\n${body}\n-----END ${b}-----\n`),
    );
    fc.assert(
      fc.property(pem, (text) => {
        onlyOurErrors(() => parseCertificatePem(text));
        onlyOurErrors(() => parseCertificatePem(text, { version: 'any' }));
        onlyOurErrors(() => parseCertificateBundlePem(text));
        onlyOurErrors(() => parseCertificateBundlePem(text, { version: 'any' }));
        onlyOurErrors(() => parseX25519PublicKeyPem(text));
        onlyOurErrors(() => parseEd25519PrivateKeyPem(text));
      }),
      { numRuns: 2000 },
    );
  });
});
