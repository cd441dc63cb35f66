// Property tests: any valid certificate round-trips byte for byte, and no
// input (random bytes, random PEM) makes the parser throw anything but a
// VidsyncError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import {
  certificateToPem,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  type DetailsV1,
  parseCertificate,
  parseCertificateBundlePem,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  signCertificate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';

const octet = fc.integer({ min: 0, max: 255 });
const cidr = fc.record({ address: fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')), prefix: fc.integer({ min: 0, max: 32 }) });
const seconds = fc.integer({ min: -62_000_000_000, max: 250_000_000_000 }).filter((s) => s !== 0);

const details: fc.Arbitrary<DetailsV1> = fc.record({
  name: fc.string({ maxLength: 40, unit: 'grapheme' }),
  ips: fc.array(cidr, { maxLength: 4 }),
  subnets: fc.array(cidr, { maxLength: 4 }),
  groups: fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }),
  notBefore: seconds.map((s) => new Date(s * 1000)),
  notAfter: seconds.map((s) => new Date(s * 1000)),
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  isCA: fc.boolean(),
  issuer: fc.oneof(fc.constant(''), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'))),
});

function onlyOurErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isVidsyncError(e)) throw e;
  }
}

describe('properties', () => {
  it('random valid certificates round-trip byte-identically (bytes and PEM)', async () => {
    const signer = await createEd25519Signer((await ed25519KeyPairFromSeed(new Uint8Array(32).fill(1))).privateKey);
    await fc.assert(
      fc.asyncProperty(details, async (d) => {
        const cert = await signCertificate(d, signer);
        const parsed = parseCertificate(cert.bytes);
        expect(parsed.bytes).toEqual(cert.bytes);
        expect(parsed.details).toEqual(d);
        const again = parseCertificatePem(certificateToPem(cert));
        expect(certificateToPem(again)).toBe(certificateToPem(cert));
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes never crash the parser', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyOurErrors(() => parseCertificate(bytes))), { numRuns: 2000 });
  });

  it('mutated valid certificates never crash the parser', async () => {
    const signer = await createEd25519Signer((await ed25519KeyPairFromSeed(new Uint8Array(32).fill(2))).privateKey);
    const sample = fc.sample(details, 20);
    const certs = await Promise.all(sample.map((d) => signCertificate(d, signer)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: certs.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 8 }), (i, at, value, cut) => {
        const bytes = certs[i]!.bytes.slice();
        bytes[at % bytes.length] = value;
        onlyOurErrors(() => parseCertificate(bytes.subarray(0, Math.max(0, bytes.length - cut))));
      }),
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
        onlyOurErrors(() => parseCertificateBundlePem(text));
        onlyOurErrors(() => parseX25519PublicKeyPem(text));
        onlyOurErrors(() => parseEd25519PrivateKeyPem(text));
      }),
      { numRuns: 2000 },
    );
  });
});
