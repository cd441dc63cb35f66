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

// ---- Format v2 (ASN.1 DER, nebula 1.10+): see spec-v2.ts ----
export { CURVE_V2, type CurveName, NEBULA_V2_VERSION_IMPLEMENTED, PEM_BANNER_V2 } from './spec-v2.ts';
export { formatNetworkPrefix, type NetworkPrefix, parseNetworkPrefix } from './ip-prefix.ts';
export {
  assembleCertificateV2,
  certificateV2ToPem,
  fingerprintV2,
  marshalDetailsV2,
  type NebulaCertificateV2,
  type NebulaCertificateV2Details,
  parseCertificateV2,
  parseCertificateV2Pem,
} from './cert-v2.ts';
export {
  type CertificateAuthorityV2Options,
  createCertificateAuthorityV2,
  type CreatedCertificateAuthorityV2,
  type HostCertificateV2Options,
  signCertificateV2,
  type SignedCertificateV2,
  signHostCertificateV2,
} from './sign-v2.ts';
export { checkSignatureV2, ecdsaP256Verify } from './signature-v2.ts';
export {
  anyCertificateToPem,
  type AnyNebulaCertificate,
  certificateVersion,
  fingerprintAny,
  isCertificateV2,
  parseAnyCertificate,
  parseAnyCertificateBundlePem,
  parseAnyCertificatePem,
} from './any-version.ts';
export { checkCaConstraintsAny } from './constraints-v2.ts';
export {
  type AnyCaPool,
  type AnyVerifyOptions,
  checkSignatureAny,
  createAnyCaPool,
  type VerifiedAnyCertificate,
  verifyAnyCertificate,
} from './verify-any.ts';
export { certificateV2ToNebulaJson, certificateV2ToNebulaJsonString, type NebulaCertificateV2Json } from './print-v2.ts';
