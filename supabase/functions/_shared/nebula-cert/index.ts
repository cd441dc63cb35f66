// Nebula certificates in TypeScript for Deno and Node: one Certificate model
// over format v1 (protobuf, nebula 1.6.1+, what we issue) and v2 (ASN.1 DER,
// nebula 1.10+). The public face: what the function, the SDK, the CLI and the
// benchmarks call. Named re-exports only; internals stay internal.
export * as limits from './limits.ts';
export {
  type Certificate,
  certificateToPem,
  type CertificateV1,
  type CertificateV2,
  type DetailsV1,
  type DetailsV2,
  fingerprint,
  parseCertificate,
  parseCertificateBundlePem,
  parseCertificatePem,
} from './certificate.ts';
export {
  createCertificateAuthority,
  type CreatedCertificateAuthority,
  type HostCertificateOptions,
  signCertificate,
  signHostCertificate,
  type ToBeSigned,
} from './sign.ts';
export { type CaPool, createCaPool, verifyCertificate, type VerifyOptions } from './verify.ts';
export { certificateToNebulaJsonString, certificateToNebulaText } from './print.ts';
export {
  createEd25519Signer,
  type Ed25519Signer,
  ed25519KeyPairFromSeed,
  ed25519PrivateKeyToPem,
  ed25519PublicKeyToPem,
  ed25519Verify,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  parseEd25519PrivateKeyPem,
  parseX25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  x25519PrivateKeyToPem,
  x25519PublicKeyFromPrivate,
  x25519PublicKeyToPem,
} from './keys.ts';
export { type Backend, cryptoBackends } from './crypto.ts';
