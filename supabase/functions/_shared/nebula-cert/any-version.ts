// One entry point for both certificate formats: v1 (protobuf, banner
// "NEBULA CERTIFICATE") and v2 (DER, "NEBULA CERTIFICATE V2"). PEM input is
// dispatched on its banner, raw bytes on their first byte (a v2 certificate
// is a DER SEQUENCE, 0x30; a v1 one starts with protobuf field 1, 0x0A).
// The v1 types stay as they were; a v2 certificate carries `version: 2`.
import { VidsyncError } from '../errors.ts';
import { certificateToPem, fingerprint, type NebulaCertificate, parseCertificate } from './certificate.ts';
import { certificateV2ToPem, fingerprintV2, type NebulaCertificateV2, parseCertificateV2 } from './cert-v2.ts';
import { DER_TAG } from './der.ts';
import { MAX_CAS_IN_BUNDLE } from './limits.ts';
import { decodePemBlocks, decodeSinglePem } from './pem.ts';
import { PEM_BANNER } from './spec.ts';
import { PEM_BANNER_V2 } from './spec-v2.ts';

export type AnyNebulaCertificate = NebulaCertificate | NebulaCertificateV2;

export function isCertificateV2(cert: AnyNebulaCertificate): cert is NebulaCertificateV2 {
  return (cert as { version?: unknown }).version === 2;
}

export function certificateVersion(cert: AnyNebulaCertificate): 1 | 2 {
  return isCertificateV2(cert) ? 2 : 1;
}

/** Raw certificate bytes of either version. */
export function parseAnyCertificate(bytes: Uint8Array): AnyNebulaCertificate {
  return bytes instanceof Uint8Array && bytes[0] === DER_TAG.sequence ? parseCertificateV2(bytes) : parseCertificate(bytes);
}

/** One PEM certificate of either version, by banner. */
export function parseAnyCertificatePem(pem: string | Uint8Array): AnyNebulaCertificate {
  const blocks = decodePemBlocks(pem);
  const type = blocks.length === 1 && blocks[0]!.type === PEM_BANNER_V2 ? PEM_BANNER_V2 : PEM_BANNER.certificate;
  const bytes = decodeSinglePem(pem, type); // same strictness as the v1 reader: one block, nothing around it
  return type === PEM_BANNER_V2 ? parseCertificateV2(bytes) : parseCertificate(bytes);
}

/** A CA bundle that may mix v1 and v2 certificates (a host may trust both during a migration). */
export function parseAnyCertificateBundlePem(pem: string | Uint8Array): AnyNebulaCertificate[] {
  const blocks = decodePemBlocks(pem);
  if (blocks.length > MAX_CAS_IN_BUNDLE) {
    throw new VidsyncError('input_too_large', `${blocks.length} certificates in one bundle, the limit is ${MAX_CAS_IN_BUNDLE}`);
  }
  return blocks.map((b) => {
    if (b.type === PEM_BANNER_V2) return parseCertificateV2(b.bytes);
    if (b.type === PEM_BANNER.certificate) return parseCertificate(b.bytes);
    throw new VidsyncError('pem_banner', `expected a ${PEM_BANNER.certificate} or ${PEM_BANNER_V2} block, found ${b.type}`);
  });
}

export function anyCertificateToPem(cert: AnyNebulaCertificate): string {
  return isCertificateV2(cert) ? certificateV2ToPem(cert) : certificateToPem(cert);
}

/** nebula's Fingerprint() for either version (they hash different bytes). */
export function fingerprintAny(cert: AnyNebulaCertificate): Promise<string> {
  return isCertificateV2(cert) ? fingerprintV2(cert) : fingerprint(cert);
}
