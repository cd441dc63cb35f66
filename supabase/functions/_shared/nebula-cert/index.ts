// Nebula certificates (format v1, nebula 1.6.1+) in TypeScript for Deno and
// Node: keys, PEM, canonical protobuf, CA creation, signing, verification and
// `nebula-cert print` output. Named re-exports only; see spec.ts for the format.
export { NEBULA_VERSION_IMPLEMENTED, PEM_BANNER } from './spec.ts';
export * as limits from './limits.ts';
export { type Cidr, cidrWithin, formatCidr, networkOf, parseCidr } from './cidr.ts';
export {
  type CryptoBackend,
  cryptoBackend,
  createEd25519Signer,
  type Ed25519Signer,
  ed25519KeyPairFromSeed,
  ed25519PrivateKeyToPem,
  ed25519PublicKeyToPem,
  ed25519Verify,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  type KeyPair,
  parseEd25519PrivateKeyPem,
  parseEd25519PublicKeyPem,
  parseX25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  useCryptoBackend,
  x25519PrivateKeyToPem,
  x25519PublicKeyFromPrivate,
  x25519PublicKeyToPem,
} from './keys.ts';
export {
  certificateToPem,
  fingerprint,
  marshalDetails,
  type NebulaCertificate,
  type NebulaCertificateDetails,
  parseCertificate,
  parseCertificateBundlePem,
  parseCertificatePem,
} from './certificate.ts';
export { checkCaConstraints } from './constraints.ts';
export {
  type CertificateAuthorityOptions,
  createCertificateAuthority,
  type CreatedCertificateAuthority,
  DEFAULT_CA_DURATION_SECONDS,
  type HostCertificateOptions,
  signCertificate,
  type SignedCertificate,
  signHostCertificate,
} from './sign.ts';
export { type CaPool, createCaPool, type VerifiedCertificate, verifyCertificate, type VerifyOptions } from './verify.ts';
export { certificateToNebulaJson, certificateToNebulaJsonString, certificateToNebulaText, type NebulaCertificateJson } from './print.ts';
