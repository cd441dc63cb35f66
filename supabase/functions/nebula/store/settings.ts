// The database's settings row, as far as the function needs it.
import type { Tx } from './transaction.ts';

/** How long a released IP cools before reuse. service_role: the settings row has no user policy. */
export async function ipCoolingSeconds(tx: Tx): Promise<number> {
  const [row] = await tx<{ seconds: number }[]>`
    select extract(epoch from cooling_interval)::integer as seconds from vidsync.settings`;
  return row!.seconds;
}
