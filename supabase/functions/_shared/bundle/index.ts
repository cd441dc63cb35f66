// A device's bundle: ca.crt, node.crt, nebula.yml and README.md, zipped. The
// device's private key is never part of it — the device generated it and
// keeps it.
import { buildNebulaConfig, DEFAULT_PATHS, listenPortOf, tunDeviceName } from './nebula-config.ts';
import type { CaTrust, LighthouseInfo } from './nebula-config.ts';
import { buildBundleReadme } from './readme.ts';
import { BUNDLE_FILES } from './files.ts';
import { zipBundle } from './zip.ts';

export {
  buildNebulaConfig,
  DEFAULT_LIGHTHOUSE_PORT,
  DEFAULT_PATHS,
  listenPortOf,
  MAX_TUN_DEVICE_CHARS,
  toNebulaYaml,
  tunDeviceName,
} from './nebula-config.ts';
export type { CaTrust, LighthouseInfo, NebulaConfigInput } from './nebula-config.ts';
export { buildBundleReadme, inlineCode } from './readme.ts';
export type { BundleReadmeInput } from './readme.ts';
export { MAX_UNZIPPED_BYTES, unzipBundle, zipBundle } from './zip.ts';

export { BUNDLE_FILES, PRIVATE_KEY_FILE } from './files.ts';
/** The files of a bundle, in the order they are zipped. */
export const BUNDLE_FILE_NAMES = Object.values(BUNDLE_FILES);
export type BundleFiles = Record<(typeof BUNDLE_FILES)[keyof typeof BUNDLE_FILES], string>;

export interface BundleInput {
  projectId: string;
  projectName?: string;
  deviceName: string;
  /** The project's CA certificate and the device's signed certificate, PEM. */
  caPem: string;
  certPem: string;
  /** When the device certificate expires (for the README). */
  notAfter: Date;
  overlayCidr: string;
  self: { ip: string; isLighthouse: boolean; listenPort?: number };
  lighthouses: LighthouseInfo[];
  /** Name of the device's private key file next to nebula.yml (default `host.key`). */
  keyPath?: string;
  /** The project's revoked, unexpired certificate fingerprints (`pki.blocklist`). */
  blocklist?: readonly string[];
  /** The trusted CAs' fingerprints and the signing one (nebula.yml's `vidsync.ca`); see NebulaConfigInput. */
  trust?: CaTrust;
}

export function buildBundle(input: BundleInput): { files: BundleFiles; zip: Uint8Array<ArrayBuffer> } {
  const tunDev = tunDeviceName(input.projectId);
  const keyPath = input.keyPath ?? DEFAULT_PATHS.key;
  const files: BundleFiles = {
    [BUNDLE_FILES.ca]: input.caPem,
    [BUNDLE_FILES.certificate]: input.certPem,
    [BUNDLE_FILES.config]: buildNebulaConfig({
      projectId: input.projectId,
      overlayCidr: input.overlayCidr,
      self: input.self,
      lighthouses: input.lighthouses,
      tunDev,
      paths: { key: keyPath },
      blocklist: input.blocklist,
      trust: input.trust,
    }),
    [BUNDLE_FILES.readme]: buildBundleReadme({
      deviceName: input.deviceName,
      projectName: input.projectName,
      projectId: input.projectId,
      ip: input.self.ip,
      cidr: input.overlayCidr,
      notAfter: input.notAfter,
      tunDev,
      keyPath,
      isLighthouse: input.self.isLighthouse,
      listenPort: listenPortOf(input),
    }),
  };
  return { files, zip: zipBundle(files) };
}
