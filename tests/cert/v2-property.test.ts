// Format v2 properties: any valid certificate round-trips byte for byte, and
// no input makes the v2 (or either-version) parser throw anything but a VidsyncError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import {
  certificateToPem,
  createEd25519Signer,
  type DetailsV2,
  ed25519KeyPairFromSeed,
  parseCertificate,
  parseCertificatePem,
  signCertificate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';

const parseV2 = (bytes: Uint8Array) => parseCertificate(bytes, { version: 2 });
const parseV2Pem = (pem: string) => parseCertificatePem(pem, { version: 2 });
const parseAny = (bytes: Uint8Array) => parseCertificate(bytes, { version: 'any' });
const parseAnyPem = (pem: string) => parseCertificatePem(pem, { version: 'any' });

const v4 = fc.record({ address: fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')), prefix: fc.integer({ min: 0, max: 32 }) });
const v6 = fc.record({
  address: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => [0xfd00, ...g.slice(1)].map((x) => x.toString(16)).join(':')),
  prefix: fc.integer({ min: 0, max: 128 }),
});
const network = fc.oneof(v4, v6);
const seconds = fc.integer({ min: -62_000_000_000, max: 250_000_000_000 });

const details: fc.Arbitrary<DetailsV2> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => new TextEncoder().encode(s).length <= 253),
    networks: fc.uniqueArray(network, { minLength: 1, maxLength: 4, selector: (n) => `${n.address}/${n.prefix}` }),
    unsafeNetworks: fc.uniqueArray(network, { maxLength: 3, selector: (n) => `${n.address}/${n.prefix}` }),
    groups: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 5 }),
    notBefore: seconds.map((s) => new Date(s * 1000)),
    notAfter: seconds.map((s) => new Date(s * 1000)),
    publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    isCA: fc.boolean(),
    issuer: fc.oneof(fc.constant(''), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'))),
  })
  // nebula: a host's unsafe networks need a network of the same family (CAs are exempt)
  .map((d) => ({
    ...d,
    curve: 'CURVE25519' as const,
    unsafeNetworks: d.isCA ? d.unsafeNetworks : d.unsafeNetworks.filter((u) => d.networks.some((n) => n.address.includes(':') === u.address.includes(':'))),
  }));

function onlyOurErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isVidsyncError(e)) throw e;
  }
}

describe('v2 properties', () => {
  it('random valid certificates round-trip byte-identically (DER, PEM, details)', async () => {
    const signer = await createEd25519Signer((await ed25519KeyPairFromSeed(new Uint8Array(32).fill(1))).privateKey);
    await fc.assert(
      fc.asyncProperty(details, async (d) => {
        const cert = await signCertificate({ version: 2, ...d }, signer);
        const parsed = parseV2(cert.bytes);
        expect(parsed.bytes).toEqual(cert.bytes);
        expect(parsed.details).toEqual(cert.details);
        expect(parseV2Pem(certificateToPem(cert)).bytes).toEqual(cert.bytes);
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes and random PEM bodies never throw anything but a VidsyncError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyOurErrors(() => parseV2(bytes));
        onlyOurErrors(() => parseAny(bytes));
        onlyOurErrors(() => parseAnyPem(`-----BEGIN NEBULA CERTIFICATE V2-----\n${bytesToBase64(bytes)}\n-----END NEBULA CERTIFICATE V2-----\n`));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutations of a valid certificate never throw anything but a VidsyncError', async () => {
    const signer = await createEd25519Signer((await ed25519KeyPairFromSeed(new Uint8Array(32).fill(2))).privateKey);
    const sample = await signCertificate({ version: 2, ...fc.sample(details, { numRuns: 1, seed: 7 })[0]! }, signer);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(sample.bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(sample.bytes.length), (edits, cut) => {
        const b = Uint8Array.from(sample.bytes);
        for (const [i, v] of edits) b[i] = v;
        onlyOurErrors(() => parseV2(b));
        onlyOurErrors(() => parseV2(b.subarray(0, cut)));
      }),
      { numRuns: 1500 },
    );
  });
});
