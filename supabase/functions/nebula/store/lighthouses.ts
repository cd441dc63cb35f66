// A project's lighthouses, read at request time so that a config fetched
// later knows lighthouses added since. The list includes the asking device
// when it is a lighthouse: the config builder leaves it out of the hosts to
// ask and takes its listen port from its own endpoint.
import type { LighthouseInfo } from '../../_shared/bundle/index.ts';
import type { Tx } from './transaction.ts';

export async function lighthousesOf(tx: Tx, projectId: string): Promise<LighthouseInfo[]> {
  const rows = await tx<{ ip: string; endpoints: string[] }[]>`
    select host(overlay_ip) as ip, lighthouse_endpoints as endpoints
      from vidsync.devices
     where project_id = ${projectId} and is_lighthouse and overlay_ip is not null
     order by overlay_ip`;
  return rows.map((r) => ({ ip: r.ip, endpoints: r.endpoints }));
}
