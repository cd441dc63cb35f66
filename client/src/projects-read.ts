// What a project's members read about their projects (GET /projects,
// GET /projects/:projectId), as the dashboard polls it: each call takes the
// ETag of the last answer and gets `changed: false` while nothing changed.
// Browser-safe: supabase-js and fetch only.
import type { SupabaseClient } from '@supabase/supabase-js';
import { type Polled, pollNebula } from './invoke.ts';
import type { Member } from './people.ts';
import type { HeartbeatFolder } from '../../supabase/functions/_shared/api-types.ts';

export type ProjectRole = 'owner' | 'admin' | 'member';

export interface ProjectOverview {
  readonly projectId: string;
  readonly name: string;
  readonly subnet: string;
  readonly ownerId: string;
  readonly createdAt: string;
  /** The caller's role in it. */
  readonly role: ProjectRole | null;
  /** Host addresses of the subnet: held by a device, cooling after a release, and free (never used or cooled down). */
  readonly pool: { readonly size: number; readonly used: number; readonly cooling: number; readonly free: number };
  /** Devices holding an address. */
  readonly devices: number;
  readonly ca: { readonly fingerprint: string; readonly notAfter: string } | null;
}

export type DeviceState = 'live' | 'released' | 'revoked';

export interface DeviceOverview {
  readonly deviceId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly ip: string | null;
  readonly state: DeviceState;
  readonly isLighthouse: boolean;
  /** Seen within two heartbeat intervals (120 s). */
  readonly online: boolean;
  readonly lastSeenAt: string | null;
  readonly syncthingDeviceId: string | null;
  readonly agentVersion: string | null;
  readonly nebulaVersion: string | null;
  /** Its newest unrevoked certificate. */
  readonly certificate: { readonly fingerprint: string; readonly notAfter: string } | null;
  /** Its folders' sync state, as its last heartbeat reported it. */
  readonly folders: readonly SyncFolderState[];
}

/** One shared folder's sync state, as a device's agent reports it in its heartbeat. */
export type SyncFolderState = HeartbeatFolder;

export interface ProjectDetail {
  readonly project: ProjectOverview;
  /** Owners first, then admins and members, each with their devices that are not revoked. */
  readonly members: readonly Member[];
  readonly devices: readonly DeviceOverview[];
}

export type { Polled } from './invoke.ts';

/** The signed-in user's projects. Errors are VidsyncErrors with the server's code. */
export function listProjects(supabase: SupabaseClient, etag?: string): Promise<Polled<{ projects: ProjectOverview[] }>> {
  return pollNebula(supabase, 'projects', etag);
}

/** One project with all its devices (live, released, revoked). */
export function getProject(supabase: SupabaseClient, projectId: string, etag?: string): Promise<Polled<ProjectDetail>> {
  return pollNebula(supabase, `projects/${encodeURIComponent(projectId)}`, etag);
}
