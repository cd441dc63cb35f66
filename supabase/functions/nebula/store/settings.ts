// The database's settings row, as far as the function needs it. service_role:
// the settings row has no user policy.
import type { CaLimits } from '../ca.ts';
import type { Tx } from './transaction.ts';

/**
 * What signing a device certificate needs from the database: the cooling
 * interval, and the database's clock, read once the device's row is locked
 * (register_device holds it until commit). A release of the device waits for
 * that lock, then stamps reusable_after from the same clock, later
 * (vidsync.release_ip), so a certificate valid for at most the cooling
 * interval from `now` never outlives its IP's cooling, whatever the
 * function's own clock says or however long signing takes.
 */
export async function signingClock(tx: Tx): Promise<{ coolingSeconds: number; now: Date }> {
  const [row] = await tx<{ seconds: number; now: Date }[]>`
    select extract(epoch from cooling_interval)::integer as seconds, clock_timestamp() as now from vidsync.settings`;
  return { coolingSeconds: row!.seconds, now: row!.now };
}

/** The bounds on a project's CAs (the database refuses a CA outside them too: vidsync.project_cas_limits). */
export async function caLimits(tx: Tx): Promise<CaLimits> {
  const [row] = await tx<{ seconds: number }[]>`
    select extract(epoch from max_ca_lifetime)::float8 as seconds from vidsync.settings`;
  return { maxLifetimeSeconds: row!.seconds };
}
