// The cloud's side of Syncthing for this device: tell it our Syncthing
// device ID (PUT /devices/:deviceId/syncthing) and ask who our peers are
// (GET /peers/:deviceId, polled with its ETag: an unchanged list is a 304).
import type { SupabaseClient } from '@supabase/supabase-js';
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';
import { isSyncthingDeviceId } from '../../../supabase/functions/_shared/syncthing/index.ts';
import { invokeNebula, pollNebula } from '../invoke.ts';

/** Another live device of the project, as GET /peers answers. */
export interface Peer {
  readonly deviceId: string;
  readonly name: string;
  /** Its overlay IP: Syncthing dials tcp://<ip>:22000. */
  readonly ip: string;
  /** Null until that device has told the cloud (register or PUT /devices/:id/syncthing). */
  readonly syncthingDeviceId: string | null;
  readonly isLighthouse: boolean;
  /** Seen within two heartbeat intervals (120 s). */
  readonly online: boolean;
}

export interface PeerList {
  /** This device. */
  readonly deviceId: string;
  readonly projectId: string;
  readonly ip: string;
  /** The project's subnet, e.g. 10.99.3.0/24. */
  readonly subnet: string;
  readonly syncthingDeviceId: string | null;
  readonly peers: readonly Peer[];
}

/** A poll's answer: the list when it changed since `ifNoneMatch`, and the tag to send next time. */
export type PeersAnswer = { readonly changed: true; readonly etag: string; readonly list: PeerList } | { readonly changed: false; readonly etag: string };

export async function setSyncthingDeviceId(supabase: SupabaseClient, deviceId: string, syncthingDeviceId: string | null): Promise<void> {
  if (syncthingDeviceId !== null && !isSyncthingDeviceId(syncthingDeviceId)) {
    throw new VidsyncError('validation_failed', `not a Syncthing device ID (8 dash-separated groups of 7 A-Z/2-7, with valid check characters): ${syncthingDeviceId}`);
  }
  await invokeNebula(supabase, `devices/${deviceId}/syncthing`, { method: 'PUT', body: { deviceId: syncthingDeviceId } });
}

export async function fetchPeers(supabase: SupabaseClient, deviceId: string, ifNoneMatch?: string): Promise<PeersAnswer> {
  const answer = await pollNebula<PeerList>(supabase, `peers/${deviceId}`, ifNoneMatch);
  return answer.changed ? { changed: true, etag: answer.etag, list: answer.data } : answer;
}
