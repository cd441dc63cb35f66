// The v1 wire format: golden fingerprints from nebula's tests, canonical
// protobuf rules, PEM handling, and that parsing fails only with our codes.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
import {
  certificateToPem,
  createCertificateAuthority,
  createCaPool,
  ed25519PrivateKeyToPem,
  fingerprint,
  limits,
  parseCertificate,
  parseCertificateBundlePem,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  x25519PublicKeyToPem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { encodePem } from '../../supabase/functions/_shared/nebula-cert/pem.ts';
import { encodeRawCertificate, encodeRawDetails } from '../../supabase/functions/_shared/nebula-cert/v1/wire.ts';
import { toHex } from '../../supabase/functions/_shared/bytes.ts';
import {
  NEBULA_GOLDEN_BUNDLE,
  NEBULA_GOLDEN_CAS,
  NEBULA_MARSHAL_JSON_FINGERPRINT,
  NEBULA_P256_CA_PEM,
} from './fixtures/nebula-fixtures.ts';
import { codeOfSync } from '../support/outcomes.ts';

const hexBytes = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const ascii = (s: string) => new TextEncoder().encode(s);

describe('known answers from nebula', () => {
  for (const golden of NEBULA_GOLDEN_CAS) {
    it(`${golden.source}: fingerprint, fields and byte-identical re-encoding`, async () => {
      const cert = parseCertificatePem(golden.pem);
      expect(await fingerprint(cert)).toBe(golden.fingerprint);
      expect(cert.details.name).toBe(golden.name);
      expect(cert.details.isCA).toBe(true);
      expect(cert.details.notBefore.getTime() / 1000).toBe(golden.notBefore);
      expect(cert.details.notAfter.getTime() / 1000).toBe(golden.notAfter);
      expect(certificateToPem(cert)).toBe(golden.pem);
    });
  }

  it('a bundle with comments between blocks yields both CAs, self-signatures valid', async () => {
    const pool = await createCaPool(NEBULA_GOLDEN_BUNDLE);
    expect([...pool.cas.keys()].sort()).toEqual([NEBULA_GOLDEN_CAS[1]!.fingerprint, NEBULA_GOLDEN_CAS[0]!.fingerprint].sort());
  });

  it('TestNebulaCertificate_MarshalJSON (v1.6.1): same fingerprint from the raw encoder', async () => {
    const year0 = (hour: number) => {
      const d = new Date(0);
      d.setUTCFullYear(0, 10, 30); // Go's time.Date(1, 0, 0, h, …) normalises to 0000-11-30
      d.setUTCHours(hour, 0, 0, 0);
      return d.getTime() / 1000;
    };
    const ip = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const key = ascii('1234567890abcedfghij1234567890ab');
    const details = encodeRawDetails({
      name: 'testing',
      ips: [ip('10.1.1.1'), ip('255.255.255.0'), ip('10.1.1.2'), ip('255.255.0.0'), ip('10.1.1.3'), ip('255.0.255.0')],
      subnets: [ip('9.1.1.1'), ip('255.0.255.0'), ip('9.1.1.2'), ip('255.255.255.0'), ip('9.1.1.3'), ip('255.255.0.0')],
      groups: ['test-group1', 'test-group2', 'test-group3'],
      notBefore: year0(1),
      notAfter: year0(2),
      publicKey: key,
      isCA: false,
      // The test's issuer is not hex; Go's hex.DecodeString keeps the bytes before the first bad digit.
      issuer: hexBytes('1234567890abcedf'),
    });
    // nebula's fingerprint is the SHA-256 of these bytes; they do not parse (the masks are not contiguous), so hash them directly.
    const sha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', encodeRawCertificate(details, key)));
    expect(toHex(sha256)).toBe(NEBULA_MARSHAL_JSON_FINGERPRINT);
  });

  it('a P256 CA (nebula 1.7+) is refused with proto_invalid', () => {
    expect(codeOfSync(() => parseCertificatePem(NEBULA_P256_CA_PEM))).toBe('proto_invalid');
  });
});

describe('canonical protobuf', () => {
  const base = () => ({
    name: 'host',
    ips: [0x0a630105, 0xffffff00],
    subnets: [],
    groups: ['a', ''],
    notBefore: 1_700_000_000,
    notAfter: 1_800_000_000,
    publicKey: new Uint8Array(32).fill(7),
    isCA: false,
    issuer: new Uint8Array(32).fill(9),
  });
  const wrap = (details: Uint8Array) => encodeRawCertificate(details, new Uint8Array(64).fill(1));

  it('encodes what Go encodes: field order, packed ips, empty group kept, defaults omitted', () => {
    const d = encodeRawDetails(base());
    // 0a 04 "host" | 12 0a <packed 2 varints> | 22 01 "a" | 22 00 | 28 … | 30 … | 3a 20 … | 4a 20 …
    expect([...d.subarray(0, 6)]).toEqual([0x0a, 4, ...ascii('host')]);
    expect(d[6]).toBe(0x12);
    expect(codeOfSync(() => parseCertificate(wrap(d)))).toBe('no error');
    expect(parseCertificate(wrap(d)).details.groups).toEqual(['a', '']);
  });

  it('negative times use 10-byte two’s complement varints and round-trip', () => {
    const d = encodeRawDetails({ ...base(), notBefore: -62_000_000_000 });
    const cert = parseCertificate(wrap(d));
    expect(cert.details.notBefore.getTime()).toBe(-62_000_000_000_000);
  });

  const mutate = (f: (bytes: number[]) => number[]) => wrap(Uint8Array.from(f([...encodeRawDetails(base())])));

  it.each<[string, () => Uint8Array, ErrorCode | 'no error']>([
    ['non-minimal varint (padded length)', () => mutate((b) => [0x0a, 0x84, 0x00, ...b.slice(2)]), 'proto_noncanonical'],
    ['fields out of order', () => wrap(Uint8Array.from([0x12, 0x00, 0x0a, 0x01, 0x41])), 'proto_noncanonical'],
    ['name encoded as its default (empty)', () => wrap(Uint8Array.from([0x0a, 0x00])), 'proto_noncanonical'],
    ['isCA encoded as false', () => wrap(Uint8Array.from([0x40, 0x00])), 'proto_noncanonical'],
    ['isCA encoded as 2', () => wrap(Uint8Array.from([0x40, 0x02])), 'proto_noncanonical'],
    ['unpacked ips', () => wrap(Uint8Array.from([0x10, 0x01, 0x10, 0x02])), 'proto_noncanonical'],
    ['unknown field 10', () => wrap(Uint8Array.from([0x50, 0x01])), 'proto_noncanonical'],
    ['odd number of ip words', () => wrap(Uint8Array.from([0x12, 0x01, 0x05])), 'proto_invalid'],
    ['unmodified (control)', () => mutate((b) => b), 'no error'],
  ])('%s → %s', (_what, bytes, code) => {
    expect(codeOfSync(() => parseCertificate(bytes()))).toBe(code);
  });

  it('non-contiguous masks (allowed by nebula, not by our Cidr type) are proto_invalid', () => {
    const d = encodeRawDetails({ ...base(), ips: [0x0a010103, 0xff00ff00] });
    expect(codeOfSync(() => parseCertificate(wrap(d)))).toBe('proto_invalid');
  });

  it('truncation anywhere is proto_truncated; data after the signature is proto_trailing_data', () => {
    const full = wrap(encodeRawDetails(base()));
    for (const cut of [1, 2, 10, full.length - 1]) {
      expect(codeOfSync(() => parseCertificate(full.subarray(0, cut)))).toBe('proto_truncated');
    }
    expect(codeOfSync(() => parseCertificate(Uint8Array.from([...full, 0x0a, 0x00])))).toBe('proto_trailing_data');
  });

  it('an empty input or one over MAX_CERT_BYTES is refused with a code', () => {
    expect(codeOfSync(() => parseCertificate(new Uint8Array(0)))).toBe('proto_truncated');
    expect(codeOfSync(() => parseCertificate(new Uint8Array(limits.MAX_CERT_BYTES + 1)))).toBe('input_too_large');
  });

  it('a public key that is not 32 bytes is key_length', () => {
    const d = encodeRawDetails({ ...base(), publicKey: new Uint8Array(31) });
    expect(codeOfSync(() => parseCertificate(wrap(d)))).toBe('key_length');
  });
});

describe('PEM and keys', () => {
  it('wrong banner, bad base64, missing END, text around a single block, oversize', async () => {
    const ca = await createCertificateAuthority({ name: 'pem' });
    expect(codeOfSync(() => parseX25519PublicKeyPem(ca.certificatePem))).toBe('pem_banner');
    expect(codeOfSync(() => parseCertificatePem('-----BEGIN NEBULA CERTIFICATE-----\n!!!!\n-----END NEBULA CERTIFICATE-----\n'))).toBe('pem_invalid');
    expect(codeOfSync(() => parseCertificatePem('-----BEGIN NEBULA CERTIFICATE-----\nAAAA\n'))).toBe('pem_invalid');
    expect(codeOfSync(() => parseCertificatePem(ca.certificatePem + 'garbage'))).toBe('pem_invalid');
    expect(codeOfSync(() => parseCertificatePem('hello'))).toBe('pem_invalid');
    expect(codeOfSync(() => parseCertificatePem(' '.repeat(limits.MAX_PEM_BYTES + 1)))).toBe('input_too_large');
    expect(codeOfSync(() => parseCertificateBundlePem(ca.privateKeyPem))).toBe('pem_banner');
  });

  it('key lengths follow nebula: 32-byte X25519, 64-byte Ed25519 private', () => {
    expect(codeOfSync(() => parseX25519PublicKeyPem(encodePem('NEBULA X25519 PUBLIC KEY', new Uint8Array(31))))).toBe('key_length');
    expect(codeOfSync(() => parseEd25519PrivateKeyPem(encodePem('NEBULA ED25519 PRIVATE KEY', new Uint8Array(32))))).toBe('key_length');
    expect(codeOfSync(() => x25519PublicKeyToPem(new Uint8Array(33)))).toBe('key_length');
    expect(codeOfSync(() => ed25519PrivateKeyToPem(new Uint8Array(32)))).toBe('key_length');
    const pem = x25519PublicKeyToPem(new Uint8Array(32).fill(3));
    expect(pem).toBe('-----BEGIN NEBULA X25519 PUBLIC KEY-----\nAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n-----END NEBULA X25519 PUBLIC KEY-----\n');
    expect(parseX25519PublicKeyPem(pem).publicKey).toEqual(new Uint8Array(32).fill(3));
  });
});
