// Trust, but verify: before a bundle is installed, the device checks that the
// certificate is signed by the CA the bundle ships, carries this device's
// public key and the IP the server announced, and is valid now; and that the
// bundle is for the project it asked for.
import { VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { formatPrefix as formatCidr } from '../../supabase/functions/_shared/net/index.ts';
import YAML from 'yaml';

export interface Announced {
  readonly ip: string;
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
  if (ips.length !== 1 || ips[0] !== expected.cidr || expected.cidr.split('/')[0] !== expected.ip) {
    throw new VidsyncError('validation_failed', `the certificate is for ${ips.join(', ') || 'no IP'}, the server announced ${expected.ip} (${expected.cidr})`);
  }
  if (verified.fingerprint !== expected.fingerprint) {
    throw new VidsyncError('validation_failed', 'the certificate\'s fingerprint differs from the one the server announced');
  }
}

/** The project a bundle's nebula.yml is for (its `vidsync.project`), which must be the one asked for. */
export function verifyBundleProject(config: string, projectId: string): void {
  const named = (YAML.parse(config) as { vidsync?: { project?: unknown } } | null)?.vidsync?.project;
  if (typeof named !== 'string' || named.toLowerCase() !== projectId.toLowerCase()) {
    throw new VidsyncError('validation_failed', `the bundle is for project ${typeof named === 'string' ? named : '(none named)'}, not ${projectId}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
