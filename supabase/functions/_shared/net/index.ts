// Network addresses for the whole repo, written once: IPv4/IPv6 addresses,
// prefixes (CIDR) and `host:port` endpoints. The certificate library, the
// request schemas and the nebula.yml builder all read them through here.
export { formatAddress, ipv4ToInt, isIPv4, isIpv4Mapped, isUnspecified, parseAddress } from './address.ts';
export {
  comparePrefixes,
  formatPrefix,
  networkOf,
  parseCidr,
  parsePrefix,
  type Prefix,
  type PrefixBytes,
  prefixBytes,
  prefixOf,
  prefixWithin,
} from './prefix.ts';
export { isEndpoint, MAX_ENDPOINT_CHARS, parseEndpoint } from './endpoint.ts';
