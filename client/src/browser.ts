// @vidsync/nebula-client/browser: the SDK's browser-safe part, for web pages
// (the dashboard) and Electron renderers. supabase-js and Web APIs only —
// nothing here imports `node:` (tests/structure checks it); the files, keys
// and installation of NebulaClient stay in the Node entry (index.ts).
export { createProject } from './projects.ts';
export type { CreateProjectOptions, Project } from './projects.ts';
export { getProject, listProjects } from './projects-read.ts';
export type { DeviceOverview, DeviceState, Polled, ProjectDetail, ProjectOverview, ProjectRole, SyncFolderState } from './projects-read.ts';
export { listAudit, pinDeviceAddress, releaseDevice, revokeDevice } from './devices-admin.ts';
export type { AuditEntry, AuditPage, AuditQuery, PinnedAddress, ReleasedDevice, RevokedDevice } from './devices-admin.ts';
export { createDeviceInvite, createInvite, deleteProject, joinProject, listInvites, listMembers, removeMember, revokeInvite, setMemberRole, transferOwnership } from './people.ts';
export type { CreatedInvite, DeletedProject, Invite, InviteOptions, InviteRole, JoinedProject, Member, MemberRole, RemovedMember, RoleChange } from './people.ts';
export { retireCa, rotateCa } from './ca-admin.ts';
export type { RetiredCa, RotateCaOptions, RotatedCa, TrustedCa } from './ca-admin.ts';
export { invokeNebula, toVidsyncError } from './invoke.ts';
export { VidsyncError, isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
export type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
