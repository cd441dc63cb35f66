// Nebula certificate format v1, as read and written by slackhq/nebula v1.6.1
// (Debian's package) and accepted by every later release. Source of truth:
// github.com/slackhq/nebula, tag v1.6.1, cert/cert.proto and cert/cert.go.
//
//   message RawNebulaCertificate {
//     RawNebulaCertificateDetails Details = 1;   // always present, even if empty
//     bytes Signature = 2;                       // Ed25519 over the marshalled Details
//   }
//   message RawNebulaCertificateDetails {
//     string Name = 1;
//     repeated uint32 Ips = 2;       // packed; big-endian [address, mask] pairs; host address kept
//     repeated uint32 Subnets = 3;   // packed; [network, mask] pairs
//     repeated string Groups = 4;    // one field per group, empty strings included
//     int64 NotBefore = 5;           // Unix seconds, plain (not zigzag) varint
//     int64 NotAfter = 6;
//     bytes PublicKey = 7;           // X25519 for hosts, Ed25519 for CAs: 32 bytes
//     bool IsCA = 8;
//     bytes Issuer = 9;              // SHA-256 of the issuing CA's marshalled cert; empty on a CA
//     // Curve curve = 100;          // 1.7.0+, omitted for Curve25519 (its default, 0)
//   }
//
// Nebula 1.6.x re-marshals the parsed struct to check the signature and to
// compute the fingerprint, so only the canonical Go protobuf encoding works:
// fields in number order, proto3 defaults omitted, packed repeated integers,
// no unknown fields. Our reader rejects everything else rather than accept a
// certificate whose fingerprint nebula would compute differently.
//
// Fingerprint: lowercase hex SHA-256 of the marshalled RawNebulaCertificate.
// PEM banners and key sizes: see pem.ts and keys.ts.

export const NEBULA_VERSION_IMPLEMENTED = '1.6.1';

/** Field numbers of RawNebulaCertificate. */
export const CERT_FIELD = { details: 1, signature: 2 } as const;

/** Field numbers of RawNebulaCertificateDetails. */
export const DETAILS_FIELD = {
  name: 1,
  ips: 2,
  subnets: 3,
  groups: 4,
  notBefore: 5,
  notAfter: 6,
  publicKey: 7,
  isCA: 8,
  issuer: 9,
  curve: 100,
} as const;

export const PEM_BANNER = {
  certificate: 'NEBULA CERTIFICATE',
  x25519Private: 'NEBULA X25519 PRIVATE KEY',
  x25519Public: 'NEBULA X25519 PUBLIC KEY',
  ed25519Private: 'NEBULA ED25519 PRIVATE KEY',
  ed25519Public: 'NEBULA ED25519 PUBLIC KEY',
} as const;

export type PemBanner = (typeof PEM_BANNER)[keyof typeof PEM_BANNER];

/** Curve25519 public keys (X25519 and Ed25519) and X25519 private keys. */
export const KEY_LENGTH = 32;
/** Nebula stores an Ed25519 private key as seed (32) followed by public key (32). */
export const ED25519_PRIVATE_KEY_LENGTH = 64;
export const ED25519_SIGNATURE_LENGTH = 64;
/** The issuer field holds a raw SHA-256. */
export const ISSUER_LENGTH = 32;
