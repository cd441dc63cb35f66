-- A device's first heartbeat is always written: registration counts as a
-- sighting (last_seen_at), and coalescing beats closer than min_interval
-- dropped the agent's first report (nebula and agent version, certificate in
-- use) until the next interval. Same signature and grants.
create or replace function vidsync_api.device_heartbeat(device uuid, info jsonb, min_interval interval default '10 seconds')
  returns table (last_seen_at timestamptz, recorded boolean)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  d record;
begin
  select x.project_id, x.owner_id, x.revoked_at, x.overlay_ip, x.last_seen_at, x.heartbeat into d
    from vidsync.devices x where x.id = device_heartbeat.device;
  if not found or not (vidsync.caller_is_privileged() or vidsync.is_project_member(d.project_id)) then
    raise exception 'device % not found', device_heartbeat.device using errcode = 'VS003';
  end if;
  if d.revoked_at is not null or d.overlay_ip is null then
    raise exception 'device % is revoked or released', device_heartbeat.device using errcode = 'VS020';
  end if;
  if d.heartbeat is not null and d.last_seen_at is not null and d.last_seen_at > pg_catalog.now() - device_heartbeat.min_interval then
    last_seen_at := d.last_seen_at;
    recorded := false;
    return next;
    return;
  end if;
  update vidsync.devices x set last_seen_at = pg_catalog.now(), heartbeat = device_heartbeat.info
   where x.id = device_heartbeat.device;
  last_seen_at := pg_catalog.now();
  recorded := true;
  return next;
end
$$;
