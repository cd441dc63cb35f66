// JSON shapes that cross the wire in both directions: the SDK sends or reads
// them, the function stores or answers them. Written once, as plain types, so
// the two sides cannot drift apart and the SDK's build carries no validator:
// the request schemas (http/lifecycle-schemas.ts) check what arrives, the
// store (nebula/store/) maps rows to these.

/** One shared folder's sync state, as a device's agent reads it from Syncthing and reports it in its heartbeat. */
export interface HeartbeatFolder {
  readonly folderId: string;
  readonly label?: string;
  /** Syncthing's folder state: idle (in sync when completion is 100), syncing, scanning, error… */
  readonly state: string;
  /** 0-100. */
  readonly completion: number;
  /** Files that failed to sync, plus one for a folder error. */
  readonly errors: number;
  readonly error?: string;
  readonly needBytes?: number;
}

/** What an agent reports with a heartbeat (POST /heartbeat/:deviceId); everything optional. */
export interface HeartbeatInfo {
  readonly nebulaVersion?: string;
  readonly agentVersion?: string;
  readonly fingerprint?: string;
  readonly underlay?: readonly string[];
  /** Sync state of the folders this device's Syncthing shares (at most 32; stored apart, in devices.sync_folders). */
  readonly folders?: readonly HeartbeatFolder[];
}

/** An invite of a project, as GET /projects/:projectId/invites lists it (never its code). */
export interface Invite {
  readonly inviteId: string;
  /** `member`: POST /join makes a member; `device`: POST /enroll registers a headless device. */
  readonly kind: 'member' | 'device';
  /** Null for a device invite, which makes no member. */
  readonly role: 'admin' | 'member' | null;
  readonly maxUses: number;
  readonly uses: number;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly createdBy: string | null;
  readonly createdAt: string;
}
