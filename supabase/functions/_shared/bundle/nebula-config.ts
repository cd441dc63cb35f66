// Builds a device's nebula.yml for nebula 1.6.1 (the Debian package; later
// versions read the same keys). The YAML is produced by a YAML library from a
// plain object, never by concatenating strings, so no value — an endpoint, a
// path — can add keys or change the document's structure.
//
// Decisions:
// - pki.ca / pki.cert reference `ca.crt` / `node.crt` next to nebula.yml
//   rather than inlining the PEMs: renewal then means "replace node.crt and
//   send SIGHUP" (nebula's own idiom), humans can `nebula-cert print` the
//   files, and pki.key must be a path anyway. Relative paths resolve against
//   nebula's working directory, so the README says to run it from the bundle
//   directory (the desktop app sets the cwd).
// - Firewall: any protocol from `host: any`, because the only peers that can
//   complete a handshake are those whose certificate the project's CA signed
//   (pki.ca holds that CA alone). We deliberately do not pin `ca_sha`: it
//   would break tunnels during a CA rotation, when pki.ca holds two CAs.
import { stringify } from 'yaml';
import { VidsyncError } from '../errors.ts';
import { BUNDLE_FILES, PRIVATE_KEY_FILE } from './files.ts';
import { isEndpoint, isIPv4, parseCidr, parseEndpoint, type Prefix, prefixWithin } from '../net/index.ts';

/** Linux interface names: IFNAMSIZ is 16 bytes including the NUL. */
export const MAX_TUN_DEVICE_CHARS = 15;
/** A lighthouse must listen on a known port; nebula's customary one. */
export const DEFAULT_LIGHTHOUSE_PORT = 4242;

/**
 * nebula's UDP socket buffers (`listen.read_buffer` / `write_buffer`), 4 MiB
 * each. With Linux's default (~208 KiB) the receiving nebula's socket
 * overflowed on bursts and TCP inside the tunnel resent what was dropped;
 * with 4 MiB, `npm run bench:e2e` measured (2-core machine, nebula 1.6.1,
 * medians of 3, 200 MB): Syncthing over the overlay 45.9 -> 71.0 MB/s
 * unshaped and 54.2 -> 68.4 MB/s at 1 Gbit/s on a loaded machine; with
 * TUN_TX_QUEUE as well, 57.7 -> 97.6 MB/s at 1 Gbit/s on a quiet one, no
 * datagram dropped (was 16 %) and no segment resent (was 19 %) (README
 * "Throughput"). nebula sets them with
 * SO_RCVBUFFORCE / SO_SNDBUFFORCE, which root or CAP_NET_ADMIN (which nebula
 * needs for its tun device anyway) may do above net.core.rmem_max /
 * wmem_max, so no sysctl is needed; the kernel doubles the value for its
 * bookkeeping (nebula logs "listen.read_buffer was set size=8388608").
 */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * tun.mtu, kept at nebula's default. Inner packets of 1300 bytes become
 * 1300 + 32 (nebula header and AEAD tag) + 8 (UDP) + 20 or 40 (IPv4/IPv6)
 * = 1360-1380 bytes on the wire, which fits the links of the internet that
 * carry less than 1500 (PPPoE 1492, DS-Lite 1460, VPNs and mobile networks
 * around 1400) without relying on fragmentation or on ICMP reaching us.
 * 1420 measured 5-10 % faster on a CPU-bound LAN (bench:e2e, noisy) and
 * the same at 100 Mbit/s (11.3 MB/s both), not worth paths that silently
 * drop full-size packets.
 *
 * `routines` stays unset (1): a transfer between two devices is one UDP flow,
 * which the kernel hashes to one of nebula's sockets and tun queues, so more
 * routines did not speed it up (63.3 vs 68.4 MB/s at 1 Gbit/s with 2, noise).
 */
export const TUN_MTU = 1300;

/**
 * tun.tx_queue: packets the kernel may queue on the tun device for nebula
 * to read. nebula's 500 overflowed whenever the sender's nebula was the
 * bottleneck (a CPU-bound fast link): TCP inside the tunnel then resent
 * 2.6-3.6 % of its segments (bench:e2e, 1 Gbit/s and unshaped); with 1000,
 * Linux's default for Ethernet devices, it resent none (0.0 % in every run)
 * at no cost in throughput. Where the link is the bottleneck (100 Mbit/s)
 * the queue stays empty either way; at most 1000 packets of 1300 bytes wait.
 */
export const TUN_TX_QUEUE = 1000;

export interface LighthouseInfo {
  /** Overlay IP, inside the project's subnet. */
  ip: string;
  /** Public `host:port` endpoints where the lighthouse is reachable. */
  endpoints: string[];
}

export interface NebulaConfigInput {
  projectId: string;
  /** The project's overlay subnet, e.g. '10.99.3.0/24'. */
  overlayCidr: string;
  /**
   * `listenPort` defaults to 0 (random) on a device, and on a lighthouse to
   * the port of its own first endpoint in `lighthouses`, else 4242.
   */
  self: { ip: string; isLighthouse: boolean; listenPort?: number };
  /** Every lighthouse of the project (self included or not; it is skipped). */
  lighthouses: LighthouseInfo[];
  /** Default: `tunDeviceName(projectId)`. */
  tunDev?: string;
  /** File names relative to nebula's working directory. */
  paths?: { ca?: string; cert?: string; key?: string };
  /**
   * Fingerprints of the project's revoked, unexpired certificates
   * (`pki.blocklist`): nebula refuses handshakes from them. Sorted here, so
   * the same set always gives the same text (and the same ETag).
   */
  blocklist?: readonly string[];
  /**
   * The CAs the project trusts now (fingerprints; ca.crt holds their PEMs)
   * and the one that signs, as the `vidsync.ca` section, which nebula
   * ignores: agents poll nebula.yml, so a CA rotation or retirement changes
   * its text and ETag, and the agent fetches ca.crt and renews
   * (client/src/agent/ca-rotation.ts).
   */
  trust?: CaTrust;
}

export interface CaTrust {
  /** The CA that signs new certificates, or null if it has expired. */
  readonly signing: string | null;
  /** Every CA the project trusts, the signing one first. */
  readonly trusted: readonly string[];
}

export const DEFAULT_PATHS = { ca: BUNDLE_FILES.ca, cert: BUNDLE_FILES.certificate, key: PRIVATE_KEY_FILE } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A tun device name that is stable and distinct per project, so that several
 * projects' nebula instances run side by side: `vs` + the last 12 hex digits
 * of the project id (14 characters). The last digits are random in both v4
 * and v7 UUIDs, whose first digits are a timestamp.
 */
export function tunDeviceName(projectId: string): string {
  if (!UUID.test(projectId)) invalid('projectId', 'must be a UUID');
  return `vs${projectId.slice(-12).toLowerCase()}`;
}

/** The nebula.yml text for one device. */
export function buildNebulaConfig(input: NebulaConfigInput): string {
  const overlay = overlayOf(input.overlayCidr);
  const inOverlay = (ip: string) => isIPv4(ip) && prefixWithin({ address: ip, prefix: 32 }, overlay);
  if (!inOverlay(input.self.ip)) invalid('self.ip', 'must be an IPv4 address inside the overlay subnet');

  const tunDev = input.tunDev ?? tunDeviceName(input.projectId);
  if (!/^[a-z0-9_-]{1,15}$/i.test(tunDev) || tunDev.length > MAX_TUN_DEVICE_CHARS) {
    invalid('tunDev', `must be 1-${MAX_TUN_DEVICE_CHARS} letters, digits, '-' or '_'`);
  }

  const self = input.self;
  const listenPort = listenPortOf(input);
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535 || (self.isLighthouse && listenPort === 0)) {
    invalid('self.listenPort', 'must be a port number (non-zero on a lighthouse)');
  }

  const others = input.lighthouses.filter((lh) => lh.ip !== self.ip && lh.endpoints.length > 0);
  const staticHostMap: Record<string, string[]> = {};
  for (const [i, lh] of others.entries()) {
    // nebula 1.6.1 refuses static_host_map keys outside the host's own network.
    if (!inOverlay(lh.ip)) invalid(`lighthouses.${i}.ip`, 'must be inside the overlay subnet');
    for (const endpoint of lh.endpoints) {
      if (!isEndpoint(endpoint)) invalid(`lighthouses.${i}.endpoints`, 'must be host:port');
    }
    staticHostMap[lh.ip] = [...lh.endpoints];
  }
  const lighthouseIps = others.map((lh) => lh.ip);
  const paths = { ...DEFAULT_PATHS, ...input.paths };
  const blocklist = [...new Set(input.blocklist ?? [])].sort();
  for (const fp of blocklist) {
    if (!/^[0-9a-f]{64}$/.test(fp)) invalid('blocklist', 'must hold lowercase hex SHA-256 fingerprints');
  }

  const trust = input.trust;
  for (const fp of trust ? [...trust.trusted, ...(trust.signing === null ? [] : [trust.signing])] : []) {
    if (!/^[0-9a-f]{64}$/.test(fp)) invalid('trust', 'must hold lowercase hex SHA-256 fingerprints');
  }

  const config = {
    // disconnect_invalid: nebula >= 1.7 tears down tunnels whose certificate
    // became invalid (blocklisted, expired) on reload; 1.6.1 ignores the key,
    // so the agent restarts it when the blocklist grows (client/src/agent/).
    pki: { ca: paths.ca, cert: paths.cert, key: paths.key, blocklist, disconnect_invalid: true },
    static_host_map: staticHostMap,
    lighthouse: {
      am_lighthouse: self.isLighthouse,
      interval: 60,
      // A lighthouse queries nobody; nebula warns if it is given hosts.
      hosts: self.isLighthouse ? [] : lighthouseIps,
    },
    listen: { host: '0.0.0.0', port: listenPort, read_buffer: SOCKET_BUFFER_BYTES, write_buffer: SOCKET_BUFFER_BYTES },
    punchy: { punch: true, respond: true },
    relay: self.isLighthouse
      ? { am_relay: true, use_relays: false, relays: [] }
      : { am_relay: false, use_relays: true, relays: lighthouseIps },
    tun: {
      disabled: false,
      dev: tunDev,
      drop_local_broadcast: false,
      drop_multicast: false,
      tx_queue: TUN_TX_QUEUE,
      mtu: TUN_MTU,
      routes: [],
      unsafe_routes: [],
    },
    logging: { level: 'info', format: 'text' },
    firewall: {
      conntrack: { tcp_timeout: '12m', udp_timeout: '3m', default_timeout: '10m' },
      outbound: [{ port: 'any', proto: 'any', host: 'any' }],
      // Only certificates signed by this project's CA can handshake, so `any`
      // here means "any device of this project".
      inbound: [{ port: 'any', proto: 'any', host: 'any' }],
    },
    // Ours, which nebula ignores: the project the file is for (the SDK refuses a bundle for another one) and its CAs.
    vidsync: { project: input.projectId.toLowerCase(), ...(trust ? { ca: { signing: trust.signing, trusted: [...trust.trusted] } } : {}) },
  };

  const header = ` nebula.yml for VidSync project ${input.projectId.toLowerCase()} - generated; edits are lost on renewal.`;
  return `#${header}\n${memoizedYaml(config)}`;
}

/**
 * Every ordinary device of a project gets the same nebula.yml (its own IP is
 * in its certificate, not here), and rendering YAML is the dearest step of a
 * registration, so the text is remembered per distinct config.
 */
const renderedConfigs = new Map<string, string>();
const MAX_RENDERED_CONFIGS = 256;

function memoizedYaml(config: unknown): string {
  const key = JSON.stringify(config);
  let yaml = renderedConfigs.get(key);
  if (yaml === undefined) {
    yaml = toNebulaYaml(config);
    if (renderedConfigs.size >= MAX_RENDERED_CONFIGS) renderedConfigs.delete(renderedConfigs.keys().next().value!);
    renderedConfigs.set(key, yaml);
  }
  return yaml;
}

/**
 * YAML that nebula's parser (go-yaml, YAML 1.1) reads back as exactly `value`:
 * emitted in 1.1 mode so strings such as `on`, `no` or `1:20` are quoted
 * rather than turning into booleans or numbers there.
 */
export function toNebulaYaml(value: unknown): string {
  return stringify(value, { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * The UDP port nebula will listen on: `self.listenPort` when given; 0
 * (random) on a device; on a lighthouse the port its own first endpoint
 * announces — where the others will send to — else 4242. Behind a NAT that
 * maps ports differently, pass `self.listenPort`.
 */
export function listenPortOf(input: Pick<NebulaConfigInput, 'self' | 'lighthouses'>): number {
  if (input.self.listenPort !== undefined) return input.self.listenPort;
  if (!input.self.isLighthouse) return 0;
  const own = input.lighthouses.find((lh) => lh.ip === input.self.ip)?.endpoints[0];
  return (own === undefined ? undefined : parseEndpoint(own)?.port) ?? DEFAULT_LIGHTHOUSE_PORT;
}

function overlayOf(cidr: string): Prefix {
  let overlay: Prefix | undefined;
  try {
    overlay = parseCidr(cidr);
  } catch {
    // reported below, with the field's name
  }
  if (!overlay || overlay.prefix < 1) invalid('overlayCidr', 'must be an IPv4 CIDR');
  return overlay;
}

function invalid(field: string, message: string): never {
  throw new VidsyncError('validation_failed', `Cannot build nebula.yml: ${field} ${message}.`, { details: { field } });
}
