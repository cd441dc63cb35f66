// A CA's limits on what it signs, for either version, checked where nebula
// checks them and in its order (1.6.1 CheckRootConstrains, 1.10
// checkCAConstraints): validity window, groups, networks, unsafe networks.
// A v1 certificate's ips and subnets are its networks and unsafe networks, as
// nebula 1.10 reads them, so a pool may mix versions. Used before signing and
// again when verifying.
import { VidsyncError } from '../errors.ts';
import { formatPrefix, type Prefix, prefixWithin } from '../net/index.ts';
import type { DetailsV1, DetailsV2 } from './certificate.ts';

/** The parts of a certificate, or of details about to be signed, that constraints look at. */
export type Constrained = { version: 1; details: DetailsV1 } | { version: 2; details: DetailsV2 };

/** The message names the fields as the certificate's own version calls them. */
const WORDS = {
  1: { networks: 'an ip assignment', unsafeNetworks: 'a subnet assignment' },
  2: { networks: 'a network assignment', unsafeNetworks: 'an unsafe network assignment' },
} as const;

export function checkCaConstraints(cert: Constrained, ca: Constrained): void {
  const c = cert.details;
  const a = ca.details;
  if (seconds(a.notAfter) < seconds(c.notAfter)) throw new VidsyncError('ca_constraint_validity', 'certificate expires after signing certificate');
  if (seconds(a.notBefore) > seconds(c.notBefore)) throw new VidsyncError('ca_constraint_validity', 'certificate is valid before the signing certificate');
  if (a.groups.length > 0) {
    const allowed = new Set(a.groups);
    for (const g of c.groups) {
      if (!allowed.has(g)) throw new VidsyncError('ca_constraint_group', `certificate contained a group not present on the signing ca: ${g}`, { details: { group: g } });
    }
  }
  within(networksOf(cert).networks, networksOf(ca).networks, 'ca_constraint_ip', WORDS[cert.version].networks);
  within(networksOf(cert).unsafeNetworks, networksOf(ca).unsafeNetworks, 'ca_constraint_subnet', WORDS[cert.version].unsafeNetworks);
}

/** nebula's Networks() and UnsafeNetworks() for either version. */
function networksOf(cert: Constrained): { networks: readonly Prefix[]; unsafeNetworks: readonly Prefix[] } {
  return cert.version === 2 ? cert.details : { networks: cert.details.ips, unsafeNetworks: cert.details.subnets };
}

function within(list: readonly Prefix[], allowed: readonly Prefix[], code: 'ca_constraint_ip' | 'ca_constraint_subnet', what: string): void {
  if (allowed.length === 0) return;
  for (const n of list) {
    if (!allowed.some((a) => prefixWithin(n, a))) {
      const network = formatPrefix(n);
      throw new VidsyncError(code, `certificate contained ${what} outside the limitations of the signing ca: ${network}`, { details: { network } });
    }
  }
}

/** Certificates carry whole seconds; compare at that precision. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
