// What must hold of the database whatever anyone did to it, checked by the
// suites that try to break it (the Data API surface, killed registrations):
//   - a project always has a CA that signs (an active one);
//   - every allocated address belongs to a device with a certificate
//     recorded for that address (a registration that has not committed is
//     not visible here: it rolls back);
//   - the pool's three records of who holds what agree: pool rows, live
//     history rows, devices' addresses;
//   - every live device's nebula.yml renders (its project's lighthouse
//     endpoints included), and every stored name, endpoint and Syncthing ID
//     passes the rules the HTTP schemas apply.
// Each broken invariant is one line in the result; a healthy database gives [].
import type { Sql } from 'postgres';
import { isDisplayText } from '../../supabase/functions/_shared/display-text.ts';
import { isEndpoint } from '../../supabase/functions/_shared/net/index.ts';
import { MAX_DEVICE_NAME_CHARS, MAX_LIGHTHOUSE_ENDPOINTS, MAX_PROJECT_NAME_CHARS } from '../../supabase/functions/_shared/limits.ts';
import { isSyncthingDeviceId } from '../../supabase/functions/_shared/syncthing/index.ts';
import { configFor } from '../../supabase/functions/nebula/bundles.ts';

export async function brokenInvariants(sql: Sql): Promise<string[]> {
  const broken: string[] = [];

  const withoutCa = await sql<{ id: string }[]>`
    select p.id from vidsync.projects p
     where not exists (select 1 from vidsync.project_cas c where c.project_id = p.id and c.active)`;
  for (const p of withoutCa) broken.push(`project ${p.id} has no CA`);

  const uncertified = await sql<{ project_id: string; ip: string; device_id: string }[]>`
    select p.project_id, host(p.ip) as ip, p.device_id from vidsync.ip_pool p
     where p.device_id is not null
       and not exists (select 1 from vidsync.issued_certificates c where c.device_id = p.device_id and c.ip = p.ip)`;
  for (const u of uncertified) broken.push(`address ${u.ip} of project ${u.project_id} is held by ${u.device_id} without a certificate`);

  // The same (project, address, device) triples, three ways.
  const disagreeing = await sql<{ source: string; project_id: string; ip: string; device_id: string }[]>`
    with pool as (select project_id, ip, device_id from vidsync.ip_pool where device_id is not null),
         history as (select project_id, ip, device_id from vidsync.ip_allocations where released_at is null),
         devices as (select project_id, overlay_ip as ip, id as device_id from vidsync.devices where overlay_ip is not null)
    select 'pool, not history' as source, project_id, host(ip) as ip, device_id from (select * from pool except select * from history) x
    union all select 'history, not pool', project_id, host(ip), device_id from (select * from history except select * from pool) x
    union all select 'pool, not devices', project_id, host(ip), device_id from (select * from pool except select * from devices) x
    union all select 'devices, not pool', project_id, host(ip), device_id from (select * from devices except select * from pool) x`;
  for (const d of disagreeing) broken.push(`${d.source}: ${d.ip} of project ${d.project_id} (device ${d.device_id})`);

  const devices = await sql<{ id: string; project_id: string; name: string; ip: string | null; subnet: string; is_lighthouse: boolean; endpoints: string[]; syncthing: string | null }[]>`
    select d.id, d.project_id, d.name, host(d.overlay_ip) as ip, p.subnet::text as subnet, d.is_lighthouse,
           d.lighthouse_endpoints as endpoints, d.syncthing_device_id as syncthing
      from vidsync.devices d join vidsync.projects p on p.id = d.project_id`;
  const lighthouses = new Map<string, { ip: string; endpoints: string[] }[]>();
  for (const d of devices) {
    if (!isDisplayText(d.name, MAX_DEVICE_NAME_CHARS)) broken.push(`device ${d.id} has a name the API refuses: ${JSON.stringify(d.name.slice(0, 80))}`);
    if (d.endpoints.length > MAX_LIGHTHOUSE_ENDPOINTS || !d.endpoints.every(isEndpoint)) broken.push(`device ${d.id} has endpoints the API refuses`);
    if (d.endpoints.length > 0 && !d.is_lighthouse) broken.push(`device ${d.id} has endpoints but is no lighthouse`);
    if (d.syncthing !== null && !isSyncthingDeviceId(d.syncthing)) broken.push(`device ${d.id} has a Syncthing ID the API refuses`);
    if (d.is_lighthouse && d.ip) {
      const list = lighthouses.get(d.project_id) ?? [];
      list.push({ ip: d.ip, endpoints: d.endpoints });
      lighthouses.set(d.project_id, list);
    }
  }
  for (const d of devices) {
    if (!d.ip) continue;
    try {
      configFor({ projectId: d.project_id, ip: d.ip, subnet: d.subnet, isLighthouse: d.is_lighthouse, lighthouses: lighthouses.get(d.project_id) ?? [], blocklist: [] });
    } catch (e) {
      broken.push(`nebula.yml of device ${d.id} does not render: ${(e as Error).message}`);
    }
  }

  const projects = await sql<{ id: string; name: string }[]>`select id, name from vidsync.projects`;
  for (const p of projects) {
    if (!isDisplayText(p.name, MAX_PROJECT_NAME_CHARS)) broken.push(`project ${p.id} has a name the API refuses`);
  }
  return broken;
}
