// The function's data layer: every query it runs, each written once as
// `f(tx, …)` and grouped by concern, plus the transaction that applies the
// caller's identity (transaction.ts). Routes compose these; the rules about
// who may do what live in SQL (RLS and the SQL functions' checks), not here.
export { asServiceRole, callerThenServiceRole, endWith, inTransaction } from './transaction.ts';
export type { CallerSteps, DbRole, Tx } from './transaction.ts';
export { createProject, visibleProject } from './projects.ts';
export type { Project } from './projects.ts';
export { registration, releaseDevice, reusableAfter, visibleDevice } from './devices.ts';
export type { Allocation, Device, DeviceRegistration } from './devices.ts';
export { authorizeCaImport, insertSigningCa, signingCa, trustedCas } from './cas.ts';
export { currentCertificate, recordIssuedCertificate } from './certificates.ts';
export type { IssuedCertificateRecord } from './certificates.ts';
export { lighthousesOf } from './lighthouses.ts';
export { caLimits, signingClock } from './settings.ts';
export {
  blocklistOf,
  deviceCredential,
  prepareRenewal,
  pinDeviceAddress,
  recentRenewal,
  recordHeartbeat,
  rememberNonce,
  revokeDevice,
  setDeviceApiKey,
} from './lifecycle.ts';
export type { PinnedAddress, RenewalTarget, Revocation } from './lifecycle.ts';
export { appendAudit, projectAuditLog } from './audit.ts';
export type { AuditActorKind, AuditEntry, AuditRecord } from './audit.ts';
export { peerSelf, peersOf, setSyncthingDeviceId } from './syncthing.ts';
export type { Peer, PeerSelf } from './syncthing.ts';
export { createInvite, listInvites, redeemInvite, revokeInvite } from './invites.ts';
export type { Redemption } from './invites.ts';
export { listMembers, removeMember } from './members.ts';
export type { Member } from './members.ts';
