// Nebula certificate format v2 (ASN.1 DER), read and written by
// slackhq/nebula v1.10.0 and later; nebula 1.6.1 cannot read it. Source of
// truth: github.com/slackhq/nebula, tag v1.10.0, cert/cert_v2.asn1 and
// cert/cert_v2.go (unchanged in what follows through v1.11.1).
//
//   Certificate ::= SEQUENCE {                       -- 0x30
//     details   [0] Details,                          -- 0xA0, constructed
//     curve     [1] Curve DEFAULT curve25519,         -- 0x81, one byte; omitted for curve25519
//     publicKey [2] OCTET STRING,                     -- 0x82; 32 bytes (X25519 host, Ed25519 CA) or 65 (P256, uncompressed)
//     signature [3] OCTET STRING }                    -- 0x83; over details TLV || curve byte || publicKey
//   Details ::= SEQUENCE {
//     name           [0] UTF8String (SIZE (1..253)),  -- 0x80
//     networks       [1] SEQUENCE OF Network OPTIONAL,-- 0xA1; omitted when empty; sorted, unique
//     unsafeNetworks [2] SEQUENCE OF Network OPTIONAL,-- 0xA2; same
//     groups         [3] SEQUENCE OF UTF8String OPTIONAL, -- 0xA3 of 0x0C, each non-empty
//     isCA           [4] BOOLEAN DEFAULT false,       -- 0x84, 0xFF; omitted when false
//     notBefore      [5] INTEGER,                     -- 0x85, Unix seconds, minimal two's complement
//     notAfter       [6] INTEGER,                     -- 0x86
//     issuer         [7] OCTET STRING OPTIONAL,       -- 0x87, the CA's v2 fingerprint (32 bytes); omitted on a CA
//     ... }
//   Network ::= OCTET STRING (SIZE (5 | 17))          -- 0x04: netip.Prefix.MarshalBinary, address + prefix length
//
// Signed bytes:  Details TLV || curve (1 byte: 0 = Curve25519, 1 = P256) || publicKey.
// Fingerprint:   lowercase hex SHA-256 of Details TLV || curve || publicKey || signature
//                (not of the whole DER).
// Curve25519 certificates are signed with Ed25519; P256 ones with ECDSA over
// SHA-256, the signature an ASN.1 ECDSA-Sig-Value.
//
// Nebula rules (cert_v2.go validate, sign.go): a non-CA certificate has at
// least one network; no network uses the unspecified address or is
// IPv4-mapped IPv6; networks and unsafe networks are unique (nebula sorts them
// before signing); a non-CA certificate's unsafe networks need a network of
// the same family. A CA limits the networks, unsafe networks and groups of
// what it signs (ca_pool.go checkCAConstraints).
//
// Where we are stricter than nebula 1.10's reader (it keeps the raw Details
// bytes, so it can afford to accept them): we refuse encodings nebula never
// writes — networks out of order, an empty SEQUENCE OF, isCA present but
// false or not 0xFF, curve 0 written out, fields after issuer, bytes after the
// certificate — so that decode → encode is the identity on what we accept.

export const NEBULA_V2_VERSION_IMPLEMENTED = '1.10.0';

export const PEM_BANNER_V2 = 'NEBULA CERTIFICATE V2';

/** Tags of Certificate. */
export const CERT_V2_TAG = { details: 0xa0, curve: 0x81, publicKey: 0x82, signature: 0x83 } as const;

/** Tags of Details. */
export const DETAILS_V2_TAG = {
  name: 0x80,
  networks: 0xa1,
  unsafeNetworks: 0xa2,
  groups: 0xa3,
  isCA: 0x84,
  notBefore: 0x85,
  notAfter: 0x86,
  issuer: 0x87,
} as const;

/** The curve byte. */
export const CURVE_V2 = { CURVE25519: 0, P256: 1 } as const;
export type CurveName = keyof typeof CURVE_V2;

/** Public key lengths by curve: Curve25519 raw key; P256 uncompressed point (0x04 || X || Y). */
export const PUBLIC_KEY_LENGTH_V2: Record<CurveName, number> = { CURVE25519: 32, P256: 65 };

/** nebula's MaxNameLength: "a maximum realistic DNS domain name". */
export const MAX_NAME_BYTES_V2 = 253;
/** An Ed25519 signature is 64 bytes, a DER ECDSA P-256 one at most 72; nebula only requires non-empty. */
export const MAX_SIGNATURE_BYTES_V2 = 256;
/** nebula writes a 32-byte SHA-256 issuer but does not check the length (its own tests use 16). */
export const MAX_ISSUER_BYTES_V2 = 32;
