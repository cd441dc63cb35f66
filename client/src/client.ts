// The SDK's one object: register this device in a project and keep its
// Nebula files current. Everything goes through supabase-js, so it works the
// same against `npm run dev` and a hosted Supabase project.
import type { SyncFolderState } from './projects-read.ts';
import type { HeartbeatInfo } from '../../supabase/functions/_shared/api-types.ts';
import { join } from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { isVidsyncError, VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { base64ToBytes, bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { BUNDLE_FILES, defaultBaseDir, ensureDir, projectDir, writeFileAtomic } from './files.ts';
import { loadOrCreateIdentity, loadRegisteredIdentity, notRegistered, readDeviceFile, writeDeviceFile } from './identity.ts';
import { revokeDevice } from './devices-admin.ts';
import { invokeNebula } from './invoke.ts';
import { localizeConfig } from './install-config.ts';
import { verifyBundleCertificate, verifyBundleProject } from './verify-bundle.ts';
import { fetchPeers, setSyncthingDeviceId } from './syncthing/peers.ts';
import type { PeersAnswer } from './syncthing/peers.ts';

export interface NebulaClientOptions {
  readonly supabase: SupabaseClient;
  /** Where projects' directories live. Default `~/.vidsync/nebula`. */
  readonly baseDir?: string;
}

export interface RegisterOptions {
  readonly projectId: string;
  readonly deviceName: string;
  /**
   * This project's directory. Default `<baseDir>/<projectId>`. This client's
   * other calls for the project use it from then on; a new client (after a
   * restart) finds it only under its `baseDir`, so prefer `baseDir`.
   */
  readonly dir?: string;
  readonly syncthingDeviceId?: string;
  /** Project admins register lighthouses with their public `host:port` endpoints. */
  readonly lighthouse?: { endpoints: string[] };
}

export interface Registration {
  readonly projectId: string;
  readonly deviceId: string;
  readonly ip: string;
  readonly cidr: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
  readonly dir: string;
  readonly paths: { config: string; ca: string; certificate: string; privateKey: string; readme: string };
}

export interface DeviceStatus {
  readonly deviceId: string;
  readonly projectId: string;
  readonly name: string;
  readonly ip: string | null;
  readonly cidr: string | null;
  readonly isLighthouse: boolean;
  readonly fingerprint: string | null;
  readonly notAfter: string | null;
  readonly lastSeenAt: string | null;
  /** Seen within two heartbeat intervals. */
  readonly online?: boolean;
  readonly revokedAt?: string | null;
  /** Its folders' sync state, from its last heartbeat. */
  readonly folders?: readonly SyncFolderState[];
}

/** What `POST /register` answers (JSON): the bundle is a base64 zip. */
export interface RegisterResponse {
  readonly deviceId: string;
  readonly ip: string;
  readonly cidr: string;
  readonly fingerprint: string;
  readonly notAfter: string;
  readonly bundle: string;
}

export class NebulaClient {
  readonly #supabase: SupabaseClient;
  readonly #baseDir: string;
  /** Projects registered into a `dir` of their own (RegisterOptions.dir). */
  readonly #dirs = new Map<string, string>();

  constructor(options: NebulaClientOptions) {
    this.#supabase = options.supabase;
    this.#baseDir = options.baseDir ?? defaultBaseDir();
  }

  /** The directory of a project's files on this device. */
  dirOf(projectId: string): string {
    return this.#dirs.get(projectId.toLowerCase()) ?? projectDir(this.#baseDir, projectId);
  }

  /**
   * Registers this device (again: the same device id and key are reused),
   * verifies what comes back and installs it. The private key never leaves
   * the device.
   */
  async register(options: RegisterOptions): Promise<Registration> {
    const dir = options.dir ?? this.dirOf(options.projectId);
    const identity = await loadOrCreateIdentity(dir, options.projectId);
    const body: Record<string, unknown> = {
      projectId: options.projectId,
      deviceId: identity.deviceId,
      deviceName: options.deviceName,
      publicKey: identity.publicKeyPem,
    };
    if (options.syncthingDeviceId) body.syncthingDeviceId = options.syncthingDeviceId;
    if (options.lighthouse) body.lighthouse = options.lighthouse;

    const response = await invokeNebula<RegisterResponse>(this.#supabase, 'register', { method: 'POST', body });
    const registration = await installBundle(dir, response, identity.publicKey, { projectId: options.projectId, deviceName: options.deviceName });
    if (options.dir) this.#dirs.set(options.projectId.toLowerCase(), dir);
    return registration;
  }

  /**
   * Renews this device's certificate (same IP and name) and installs the new
   * bundle; nebula picks it up on SIGHUP. Refused with 410 `device_revoked`
   * once the device is revoked or released.
   */
  async renew(projectId: string): Promise<Registration> {
    const dir = this.dirOf(projectId);
    // Never a new key: a renewal is for the device registered here.
    const identity = await loadRegisteredIdentity(dir, projectId);
    const device = await readDeviceFile(dir);
    const response = await invokeNebula<RegisterResponse>(this.#supabase, `renew/${identity.deviceId}`, { method: 'POST' });
    return installBundle(dir, response, identity.publicKey, { projectId, deviceName: device?.deviceName ?? '' });
  }

  /** Revokes a device of the project (this one by default): its certificates go on every peer's blocklist. */
  async revoke(projectId: string, options: { deviceId?: string; reason?: string } = {}): Promise<{ revokedCertificates: number; releasedIp: string | null }> {
    return revokeDevice(this.#supabase, options.deviceId ?? (await this.#deviceIdOf(projectId)), options.reason);
  }

  /** Tells the cloud this device is alive, and what it runs. */
  async heartbeat(projectId: string, info: HeartbeatInfo = {}): Promise<{ lastSeenAt: string; recorded: boolean; intervalSeconds: number }> {
    return invokeNebula(this.#supabase, `heartbeat/${await this.#deviceIdOf(projectId)}`, { method: 'POST', body: { ...info } });
  }

  /** Sets this device's API key (an Ed25519 public key, 32 bytes), with which it signs its own requests when no one is signed in. */
  async setDeviceCredential(projectId: string, apiPublicKey: Uint8Array | null, options: { deviceId?: string } = {}): Promise<void> {
    await invokeNebula(this.#supabase, `credential/${options.deviceId ?? (await this.#deviceIdOf(projectId))}`, {
      method: 'POST',
      body: { apiKey: apiPublicKey ? bytesToBase64(apiPublicKey) : null },
    });
  }

  async status(projectId: string): Promise<DeviceStatus> {
    return invokeNebula<DeviceStatus>(this.#supabase, `status/${await this.#deviceIdOf(projectId)}`, { method: 'GET' });
  }

  /** Fetches the current nebula.yml (lighthouses change) and installs it; returns its path. */
  async refreshConfig(projectId: string): Promise<string> {
    const dir = this.dirOf(projectId);
    const yaml = await invokeNebula<string>(this.#supabase, `config/${await this.#deviceIdOf(projectId)}`, { method: 'GET' });
    const path = join(dir, BUNDLE_FILES.config);
    await writeFileAtomic(path, localizeConfig(yaml, dir));
    return path;
  }

  /** Releases this device's IP in the project; the IP cools down before anyone gets it again. */
  async release(projectId: string, reason?: string): Promise<{ releasedIp: string | null; reusableAfter: string | null }> {
    const query = reason ? `?reason=${encodeURIComponent(reason)}` : '';
    return invokeNebula(this.#supabase, `release/${await this.#deviceIdOf(projectId)}${query}`, { method: 'POST' });
  }

  /** Tells the cloud this device's Syncthing device ID (null clears it); its peers then find it in GET /peers. */
  async setSyncthingDeviceId(projectId: string, syncthingDeviceId: string | null): Promise<void> {
    await setSyncthingDeviceId(this.#supabase, await this.#deviceIdOf(projectId), syncthingDeviceId);
  }

  /**
   * The project's other live devices (overlay IP, Syncthing device ID, online,
   * lighthouse). Pass the last answer's `etag` to poll: an unchanged list
   * comes back as `{ changed: false }` without a body.
   */
  async peers(projectId: string, options: { etag?: string } = {}): Promise<PeersAnswer> {
    return fetchPeers(this.#supabase, await this.#deviceIdOf(projectId), options.etag);
  }

  /** The PEM of every CA the project's devices trust. */
  async ca(projectId: string): Promise<string> {
    const response = await invokeNebula<{ pem: string }>(this.#supabase, `ca/${projectId}`, { method: 'GET' });
    return response.pem;
  }

  async #deviceIdOf(projectId: string): Promise<string> {
    const device = await readDeviceFile(this.dirOf(projectId));
    if (!device) throw notRegistered(this.dirOf(projectId), projectId);
    return device.deviceId;
  }
}

export type { HeartbeatInfo };

/**
 * Verifies a register/renew answer and installs it in `dir`: nothing is
 * written before the whole bundle checks out, and the config goes last, so a
 * nebula restarted mid-install still finds a consistent set.
 */
export async function installBundle(
  dir: string,
  response: RegisterResponse,
  publicKey: Uint8Array,
  device: { projectId: string; deviceName: string },
): Promise<Registration> {
  const bundle = await checkedBundle(response, publicKey, device.projectId);
  await ensureDir(dir);
  const paths = pathsIn(dir);
  await writeFileAtomic(paths.ca, bundle.caPem);
  await writeFileAtomic(paths.certificate, bundle.certificatePem);
  await writeFileAtomic(paths.readme, bundle.readme);
  await writeFileAtomic(paths.config, localizeConfig(bundle.config, dir));
  await writeDeviceFile(dir, {
    deviceId: response.deviceId,
    projectId: device.projectId,
    deviceName: device.deviceName,
    ip: response.ip,
    cidr: response.cidr,
    fingerprint: response.fingerprint,
    notAfter: response.notAfter,
  });
  return {
    projectId: device.projectId,
    deviceId: response.deviceId,
    ip: response.ip,
    cidr: response.cidr,
    fingerprint: response.fingerprint,
    notAfter: new Date(response.notAfter),
    dir,
    paths,
  };
}

function pathsIn(dir: string): Registration['paths'] {
  return {
    config: join(dir, BUNDLE_FILES.config),
    ca: join(dir, BUNDLE_FILES.ca),
    certificate: join(dir, BUNDLE_FILES.certificate),
    privateKey: join(dir, BUNDLE_FILES.privateKey),
    readme: join(dir, BUNDLE_FILES.readme),
  };
}

/**
 * Unpacks and verifies a registration's bundle: signed by the CA it ships,
 * for this device's key, with the IP and fingerprint the server announced.
 * Any fault is `bundle_rejected`, with the reason as its cause.
 */
async function checkedBundle(response: RegisterResponse, publicKey: Uint8Array, projectId: string) {
  try {
    const zip = base64ToBytes(response.bundle);
    if (!zip) throw new VidsyncError('validation_failed', 'the bundle is not base64');
    const files = unzipBundle(zip);
    const caPem = requiredFile(files, BUNDLE_FILES.ca);
    const certificatePem = requiredFile(files, BUNDLE_FILES.certificate);
    const config = requiredFile(files, BUNDLE_FILES.config);
    const readme = requiredFile(files, BUNDLE_FILES.readme);
    verifyBundleProject(config, projectId);
    await verifyBundleCertificate({ caPem, certificatePem }, { ip: response.ip, cidr: response.cidr, fingerprint: response.fingerprint, publicKey });
    return { caPem, certificatePem, config, readme };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VidsyncError('bundle_rejected', `refused the server's bundle, nothing installed: ${reason}`, {
      cause,
      details: isVidsyncError(cause) ? { reason: cause.code } : undefined,
    });
  }
}

function requiredFile(files: Record<string, Uint8Array>, name: string): string {
  const bytes = files[name];
  if (!bytes) throw new VidsyncError('validation_failed', `the bundle has no ${name}`);
  return new TextDecoder().decode(bytes);
}
