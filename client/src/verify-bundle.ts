// Trust, but verify: before a bundle is installed, the device checks that the
// certificate is signed by the project's CA, carries this device's public key
// and the IP the server announced, and is valid now.
import { VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { formatPrefix as formatCidr } from '../../supabase/functions/_shared/net/index.ts';

export interface Announced {
  readonly cidr: string;
  readonly fingerprint: string;
}

export async function verifyBundleCertificate(
  files: { caPem: string; certificatePem: string },
  expected: Announced & { publicKey: Uint8Array },
  now = new Date(),
): Promise<void> {
  const verified = await verifyCertificate(files.certificatePem, { cas: files.caPem, now });
  const details = verified.certificate.details;
  if (!sameBytes(details.publicKey, expected.publicKey)) {
    throw new VidsyncError('validation_failed', 'the certificate in the bundle is not for this device\'s public key');
  }
  const ips = details.ips.map(formatCidr);
  if (ips.length !== 1 || ips[0] !== expected.cidr) {
    throw new VidsyncError('validation_failed', `the certificate is for ${ips.join(', ') || 'no IP'}, the server announced ${expected.cidr}`);
  }
  if (verified.fingerprint !== expected.fingerprint) {
    throw new VidsyncError('validation_failed', 'the certificate\'s fingerprint differs from the one the server announced');
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
