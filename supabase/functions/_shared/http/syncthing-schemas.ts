// Request shapes of the Syncthing routes, checked at the edge like ./schemas.ts.
import { z } from 'zod';
import { SyncthingDeviceId } from './schemas.ts';

/** PUT /devices/:deviceId/syncthing — the device's Syncthing device ID; null clears it. */
export const SetSyncthingBody = z.strictObject({
  deviceId: SyncthingDeviceId.nullable(),
});
export type SetSyncthingBody = z.output<typeof SetSyncthingBody>;
