// The HTTP routes of the `nebula` function, one file per resource. Each
// handler reads validate -> store -> sign -> bundle -> respond: it checks the
// request at the edge, runs its queries through ../store in one transaction
// as the caller (the SQL decides who may do what), signs with ../ca.ts and
// builds files with ../bundles.ts. app.ts maps paths to these.
export { projectAudit } from './audit.ts';
export { deviceCaBundle, getProjectCa, importProjectCa, retireProjectCa, rotateProjectCa } from './ca.ts';
export { deviceConfig, deviceStatus, releaseDevice } from './devices.ts';
export { createProject, deleteProject } from './projects.ts';
export { registerDevice } from './register.ts';
export { deviceHeartbeat, renewDevice, revokeDevice, setDeviceCredential } from './lifecycle.ts';
export { pinDeviceAddress } from './address.ts';
export { devicePeers, setSyncthingDeviceId } from './syncthing.ts';
export { createInvite, joinProject, projectInvites, revokeInvite } from './invites.ts';
export { enrollDevice } from './enroll.ts';
export { projectMembers, removeMember, setMemberRole } from './members.ts';
