// A device's identity in one project: a UUID made once per install and an
// X25519 key pair made on the device. The private key never leaves it; a
// repeated registration reuses both, so the server sees the same device.
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  generateX25519KeyPair,
  parseX25519PrivateKeyPem,
  x25519PrivateKeyToPem,
  x25519PublicKeyFromPrivate,
  x25519PublicKeyToPem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { BUNDLE_FILES, ensureDir, readTextIfExists, writeFileAtomic } from './files.ts';

export interface DeviceIdentity {
  readonly deviceId: string;
  readonly publicKey: Uint8Array;
  readonly publicKeyPem: string;
  readonly privateKeyPath: string;
}

interface DeviceFile {
  deviceId: string;
  projectId: string;
  deviceName?: string;
  ip?: string;
  cidr?: string;
  fingerprint?: string;
  notAfter?: string;
}

export function loadOrCreateIdentity(dir: string, projectId: string): Promise<DeviceIdentity> {
  return identityIn(dir, projectId, true);
}

/** The device's registered identity in `dir`, without making one: `not_registered` where there is none. */
export function loadRegisteredIdentity(dir: string, projectId: string): Promise<DeviceIdentity> {
  return identityIn(dir, projectId, false);
}

async function identityIn(dir: string, projectId: string, create: boolean): Promise<DeviceIdentity> {
  if (create) await ensureDir(dir);
  const privateKeyPath = join(dir, BUNDLE_FILES.privateKey);
  const device = await readDeviceFile(dir);
  if (device && device.projectId.toLowerCase() !== projectId.toLowerCase()) {
    throw new VidsyncError('validation_failed', `${dir} holds this machine's device of project ${device.projectId}; give project ${projectId} a directory of its own`);
  }
  const existingKey = await readTextIfExists(privateKeyPath);
  if (!create && (!device || !existingKey)) throw notRegistered(dir, projectId);

  let privateKey: Uint8Array;
  if (existingKey) {
    privateKey = parseX25519PrivateKeyPem(existingKey).privateKey;
  } else {
    const pair = await generateX25519KeyPair();
    privateKey = pair.privateKey;
    await writeFileAtomic(privateKeyPath, x25519PrivateKeyToPem(privateKey), 0o600);
  }
  const publicKey = await x25519PublicKeyFromPrivate(privateKey);
  const publicKeyPem = x25519PublicKeyToPem(publicKey);
  if (create) await writeFileAtomic(join(dir, BUNDLE_FILES.publicKey), publicKeyPem);

  const deviceId = device?.deviceId ?? randomUUID();
  if (!device) await writeDeviceFile(dir, { deviceId, projectId });
  return { deviceId, publicKey, publicKeyPem, privateKeyPath };
}

export function notRegistered(dir: string, projectId: string): VidsyncError {
  return new VidsyncError('not_registered', `this device has not registered in project ${projectId} here (no ${BUNDLE_FILES.device} and ${BUNDLE_FILES.privateKey} in ${dir}): register it first`);
}

export async function readDeviceFile(dir: string): Promise<DeviceFile | undefined> {
  const text = await readTextIfExists(join(dir, BUNDLE_FILES.device));
  return text ? (JSON.parse(text) as DeviceFile) : undefined;
}

export async function writeDeviceFile(dir: string, device: DeviceFile): Promise<void> {
  await writeFileAtomic(join(dir, BUNDLE_FILES.device), JSON.stringify(device, null, 2) + '\n');
}
