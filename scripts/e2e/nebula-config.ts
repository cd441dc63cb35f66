// A minimal but real nebula 1.6.1 config for the e2e harness's own test.
//
// Not the product's config generator (that lives in
// supabase/functions/_shared/bundle/): once the API exists the harness runs the
// bundles it returns instead. This only writes what the harness test needs —
// pki paths, lighthouse wiring, relays, a tun device and a permissive firewall
// for hosts signed by the same CA.
import { DEFAULT_LIGHTHOUSE_PORT } from '../../supabase/functions/_shared/bundle/index.ts';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** Port every lighthouse listens on; devices pick a random one. */
export const LIGHTHOUSE_PORT = DEFAULT_LIGHTHOUSE_PORT;
/** Linux interface names are at most 15 characters. */
export const MAX_IFNAME_LENGTH = 15;

export interface LighthouseRef {
  /** The lighthouse's overlay IP, e.g. "10.71.0.1". */
  readonly overlayIp: string;
  /** Its public endpoint on the underlay, "ip:port". */
  readonly endpoint: string;
}

export interface HarnessNodeConfig {
  readonly pki: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Lighthouses of the project (empty on a lighthouse itself). */
  readonly lighthouses: readonly LighthouseRef[];
  /** True for the project's lighthouse, which is also its relay. */
  readonly amLighthouse?: boolean;
  /** Overlay IPs allowed to relay for this host (default: the lighthouses). */
  readonly relays?: readonly string[];
  /** tun device name, at most 15 characters. */
  readonly tunDev: string;
  /** Extra static_host_map entries (overlay IP → ["ip:port"]), e.g. for probes. */
  readonly extraStaticHosts?: Readonly<Record<string, readonly string[]>>;
  /** Restrict "any proto" inbound to hosts signed by this CA name (ICMP stays open). */
  readonly caName?: string;
  readonly logFormat?: 'json' | 'text';
}

/** Renders the config as a plain object (pure; the YAML is `stringify` of it). */
export function nebulaConfig(c: HarnessNodeConfig): Record<string, unknown> {
  if (c.tunDev.length > MAX_IFNAME_LENGTH) throw new Error(`tun.dev longer than ${MAX_IFNAME_LENGTH}: ${c.tunDev}`);
  const amLighthouse = c.amLighthouse ?? false;
  const staticHostMap: Record<string, string[]> = {};
  for (const lh of c.lighthouses) staticHostMap[lh.overlayIp] = [lh.endpoint];
  for (const [ip, endpoints] of Object.entries(c.extraStaticHosts ?? {})) staticHostMap[ip] = [...endpoints];
  const anyFromProject = c.caName ? { port: 'any', proto: 'any', ca_name: c.caName } : { port: 'any', proto: 'any', host: 'any' };
  return {
    pki: { ca: c.pki.ca, cert: c.pki.cert, key: c.pki.key },
    static_host_map: staticHostMap,
    lighthouse: {
      am_lighthouse: amLighthouse,
      // Hosts re-announce themselves this often; short so tests see changes fast.
      interval: 10,
      hosts: amLighthouse ? [] : c.lighthouses.map((lh) => lh.overlayIp),
    },
    listen: { host: '0.0.0.0', port: amLighthouse ? LIGHTHOUSE_PORT : 0 },
    punchy: { punch: true, respond: true },
    relay: {
      am_relay: amLighthouse,
      use_relays: true,
      relays: amLighthouse ? [] : [...(c.relays ?? c.lighthouses.map((lh) => lh.overlayIp))],
    },
    tun: { disabled: false, dev: c.tunDev, mtu: 1300, tx_queue: 500 },
    logging: { level: 'info', format: c.logFormat ?? 'json' },
    firewall: {
      conntrack: { tcp_timeout: '12m', udp_timeout: '3m', default_timeout: '10m' },
      outbound: [{ port: 'any', proto: 'any', host: 'any' }],
      inbound: [{ port: 'any', proto: 'icmp', host: 'any' }, anyFromProject],
    },
  };
}

export function nebulaConfigYaml(c: HarnessNodeConfig): string {
  return stringify(nebulaConfig(c));
}

export async function writeNebulaConfig(path: string, c: HarnessNodeConfig): Promise<void> {
  await writeFile(path, nebulaConfigYaml(c), { mode: 0o600 });
}
