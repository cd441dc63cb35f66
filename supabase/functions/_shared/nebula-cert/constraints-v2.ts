// A CA's limits on what it signs, for certificates of either version: nebula
// 1.10's checkCAConstraints (validity window, groups, networks, unsafe
// networks, in that order). A v1 CA's ips and subnets act as networks and
// unsafe networks, as nebula 1.10 reads them.
import { VidsyncError } from '../errors.ts';
import { type AnyNebulaCertificate, isCertificateV2 } from './any-version.ts';
import { formatCidr } from './cidr.ts';
import { type BinaryPrefix, formatNetworkPrefix, prefixFrom, prefixWithin } from './ip-prefix.ts';

/** The parts of a certificate (or of details about to be signed) that constraints look at. */
export interface ConstrainedFacts {
  notBefore: Date;
  notAfter: Date;
  groups: readonly string[];
  networks: readonly BinaryPrefix[];
  unsafeNetworks: readonly BinaryPrefix[];
}

export function constrainedFactsOf(cert: AnyNebulaCertificate): ConstrainedFacts {
  const d = cert.details;
  if (isCertificateV2(cert)) {
    const v2 = cert.details;
    return { notBefore: d.notBefore, notAfter: d.notAfter, groups: d.groups, networks: v2.networks.map(prefixFrom), unsafeNetworks: v2.unsafeNetworks.map(prefixFrom) };
  }
  const v1 = cert.details;
  return {
    notBefore: d.notBefore,
    notAfter: d.notAfter,
    groups: d.groups,
    networks: v1.ips.map((c) => prefixFrom(formatCidr(c))),
    unsafeNetworks: v1.subnets.map((c) => prefixFrom(formatCidr(c))),
  };
}

export function checkCaConstraintsAny(cert: ConstrainedFacts, ca: ConstrainedFacts): void {
  if (seconds(ca.notAfter) < seconds(cert.notAfter)) throw new VidsyncError('ca_constraint_validity', 'certificate expires after signing certificate');
  if (seconds(ca.notBefore) > seconds(cert.notBefore)) throw new VidsyncError('ca_constraint_validity', 'certificate is valid before the signing certificate');
  if (ca.groups.length > 0) {
    const allowed = new Set(ca.groups);
    for (const g of cert.groups) {
      if (!allowed.has(g)) throw new VidsyncError('ca_constraint_group', `certificate contained a group not present on the signing ca: ${g}`, { details: { group: g } });
    }
  }
  within(cert.networks, ca.networks, 'ca_constraint_ip', 'a network assignment');
  within(cert.unsafeNetworks, ca.unsafeNetworks, 'ca_constraint_subnet', 'an unsafe network assignment');
}

function within(list: readonly BinaryPrefix[], allowed: readonly BinaryPrefix[], code: 'ca_constraint_ip' | 'ca_constraint_subnet', what: string): void {
  if (allowed.length === 0) return;
  for (const n of list) {
    if (!allowed.some((a) => prefixWithin(n, a))) {
      const network = formatNetworkPrefix(n);
      throw new VidsyncError(code, `certificate contained ${what} outside the limitations of the signing ca: ${network}`, { details: { network } });
    }
  }
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
