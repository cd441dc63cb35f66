// A CA's limits on what it signs, checked exactly where nebula 1.6.1's
// CheckRootConstrains checks them and in the same order: validity window,
// groups, ips, subnets. Used before signing and again when verifying.
import { VidsyncError } from '../errors.ts';
import { type Cidr, cidrWithin, formatCidr } from './cidr.ts';
import type { NebulaCertificateDetails } from './certificate.ts';

export function checkCaConstraints(cert: NebulaCertificateDetails, ca: NebulaCertificateDetails): void {
  if (seconds(ca.notAfter) < seconds(cert.notAfter)) {
    throw new VidsyncError('ca_constraint_validity', 'certificate expires after signing certificate');
  }
  if (seconds(ca.notBefore) > seconds(cert.notBefore)) {
    throw new VidsyncError('ca_constraint_validity', 'certificate is valid before the signing certificate');
  }
  if (ca.groups.length > 0) {
    const allowed = new Set(ca.groups);
    for (const g of cert.groups) {
      if (!allowed.has(g)) {
        throw new VidsyncError('ca_constraint_group', `certificate contained a group not present on the signing ca: ${g}`, { details: { group: g } });
      }
    }
  }
  checkNetworks(cert.ips, ca.ips, 'ca_constraint_ip', 'an ip assignment');
  checkNetworks(cert.subnets, ca.subnets, 'ca_constraint_subnet', 'a subnet assignment');
}

function checkNetworks(networks: readonly Cidr[], allowed: readonly Cidr[], code: 'ca_constraint_ip' | 'ca_constraint_subnet', what: string): void {
  if (allowed.length === 0) return;
  for (const n of networks) {
    if (!allowed.some((a) => cidrWithin(n, a))) {
      throw new VidsyncError(code, `certificate contained ${what} outside the limitations of the signing ca: ${formatCidr(n)}`, {
        details: { network: formatCidr(n) },
      });
    }
  }
}

/** Certificates carry whole seconds; compare at that precision. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
