// A project network whose certificates come from the real `nebula-cert`
// binary: one CA, one lighthouse (also the relay) and some devices, each on its
// own underlay host. The harness's own test (tests/e2e/harness.test.ts) uses
// it to prove namespaces, nebula and isolation independently of our
// certificate code; the product suites (tests/e2e/overlay.test.ts and on) get
// certificates and configs from the function instead, and start them with
// the same NebulaHost.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LIGHTHOUSE_PORT, writeNebulaConfig, type LighthouseRef } from './nebula-config.ts';
import { NebulaHost } from './nebula-host.ts';
import type { Underlay, UnderlayHost } from './netns.ts';

export interface CliNode {
  readonly name: string;
  readonly host: UnderlayHost;
  readonly overlayIp: string;
  readonly isLighthouse: boolean;
  readonly certPath: string;
  readonly keyPath: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly tunDev: string;
}

export interface CliProject {
  readonly name: string;
  readonly caName: string;
  readonly caPath: string;
  readonly lighthouse: CliNode;
  readonly devices: Readonly<Record<string, CliNode>>;
  readonly lighthouseRef: LighthouseRef;
}

export interface CliProjectSpec {
  /** Short project name, used for file names and the CA name. */
  readonly name: string;
  /** First three octets of the /24 overlay, e.g. "10.71.0". */
  readonly overlay24: string;
  /** Underlay host (already added) of the lighthouse, which gets overlay .1. */
  readonly lighthouse: UnderlayHost;
  /** Device hosts with their overlay last octet. */
  readonly devices: readonly { readonly host: UnderlayHost; readonly octet: number }[];
}

/** Makes the CA and every host cert with `nebula-cert`; writes no config yet. */
export async function createCliProject(dir: string, spec: CliProjectSpec): Promise<CliProject> {
  const projectDir = join(dir, spec.name);
  await mkdir(projectDir, { recursive: true });
  const caName = `vidsync-e2e-${spec.name}`;
  const caPath = join(projectDir, 'ca.crt');
  const caKey = join(projectDir, 'ca.key');
  await nebulaCert(['ca', '-name', caName, '-duration', '2h', '-out-crt', caPath, '-out-key', caKey]);

  const node = async (host: UnderlayHost, octet: number, isLighthouse: boolean): Promise<CliNode> => {
    const base = join(projectDir, host.name);
    const overlayIp = `${spec.overlay24}.${octet}`;
    const n: CliNode = {
      name: host.name,
      host,
      overlayIp,
      isLighthouse,
      certPath: `${base}.crt`,
      keyPath: `${base}.key`,
      configPath: `${base}.yml`,
      logPath: `${base}.log`,
      tunDev: `neb-${spec.name}-${host.name}`.slice(0, 15),
    };
    await nebulaCert(['sign', '-ca-crt', caPath, '-ca-key', caKey, '-name', `${spec.name}-${host.name}`,
      '-ip', `${overlayIp}/24`, '-out-crt', n.certPath, '-out-key', n.keyPath]);
    return n;
  };

  const lighthouse = await node(spec.lighthouse, 1, true);
  const devices: Record<string, CliNode> = {};
  for (const d of spec.devices) devices[d.host.name] = await node(d.host, d.octet, false);
  const lighthouseRef = { overlayIp: lighthouse.overlayIp, endpoint: `${spec.lighthouse.ip}:${LIGHTHOUSE_PORT}` };
  return { name: spec.name, caName, caPath, lighthouse, devices, lighthouseRef };
}

/** Writes the node's config (optionally with extra static_host_map entries) and starts nebula. */
export async function startCliNode(
  underlay: Underlay,
  project: CliProject,
  node: CliNode,
  extraStaticHosts?: Record<string, string[]>,
): Promise<NebulaHost> {
  await writeNebulaConfig(node.configPath, {
    pki: { ca: project.caPath, cert: node.certPath, key: node.keyPath },
    lighthouses: node.isLighthouse ? [] : [project.lighthouseRef],
    amLighthouse: node.isLighthouse,
    tunDev: node.tunDev,
    caName: project.caName,
    ...(extraStaticHosts ? { extraStaticHosts } : {}),
  });
  return NebulaHost.start(underlay, node.host, node.configPath, { tunDev: node.tunDev, logPath: node.logPath });
}

function nebulaCert(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('nebula-cert', args, { timeout: 15_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`nebula-cert ${args[0]} failed: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}
