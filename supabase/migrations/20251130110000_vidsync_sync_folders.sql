-- Folder sync state in the heartbeat: the agent reports, per folder its
-- Syncthing shares, the state (idle, syncing…), how complete it is and its
-- errors; the device row keeps the last report for GET /status/:deviceId,
-- the project view (the dashboard) and `vidsync status`.
--
-- The bounds are those of supabase/functions/_shared/limits.ts
-- (MAX_SYNC_FOLDERS, MAX_SYNC_FOLDER_*) and the states those of
-- http/lifecycle-schemas.ts (SYNC_FOLDER_STATES); tests/db/limits.test.ts
-- compares the two layers.

-- Syncthing's folder states (1.19), `paused`, and `unknown` for any other.
create function vidsync.sync_folder_states() returns text[]
  language sql immutable parallel safe set search_path = '' as $$
  select array['idle', 'scanning', 'scan-waiting', 'sync-waiting', 'sync-preparing', 'syncing',
               'cleaning', 'clean-waiting', 'error', 'paused', 'unknown']
$$;

-- True when `value` is a JSON number from 0 to `high`, and a whole one when
-- `whole`: a report's completion, error count and byte count. A single
-- expression, which Postgres inlines into its caller as it does the
-- display-text helpers (20251130060000_vidsync_display_text.sql): hence no
-- search_path, and every function, operator and type is schema-qualified.
-- The cast only runs for a number (CASE), so a bad value is false, never
-- an exception.
create function vidsync.is_json_number(value jsonb, high numeric, whole boolean) returns boolean
  language sql immutable parallel safe as $$
  select case when pg_catalog.jsonb_typeof(is_json_number.value) operator(pg_catalog.=) 'number'
              then is_json_number.value::pg_catalog.numeric operator(pg_catalog.>=) 0
               and is_json_number.value::pg_catalog.numeric operator(pg_catalog.<=) is_json_number.high
               and (not is_json_number.whole
                    or is_json_number.value::pg_catalog.numeric operator(pg_catalog.=) pg_catalog.trunc(is_json_number.value::pg_catalog.numeric))
              else false
         end
$$;
revoke all on function vidsync.is_json_number(jsonb, numeric, boolean) from public, anon, authenticated;
-- is_sync_folder_report (granted below) calls it as its caller.
grant execute on function vidsync.is_json_number(jsonb, numeric, boolean) to authenticated, service_role;

-- One folder's report, as SyncFolderReport of lifecycle-schemas.ts accepts it:
-- an object with exactly these keys, folderId 1-64 of A-Z a-z 0-9 . _ -,
-- label display text <= 64, a known state, completion 0-100, errors an
-- integer 0-1,000,000, error display text <= 200, needBytes an integer
-- 0-2^53-1. Every cast is guarded by a type check: a bad report is false,
-- never an exception.
create function vidsync.is_sync_folder_report(report jsonb) returns boolean
  language plpgsql immutable strict parallel safe set search_path = '' as $$
declare
  r constant jsonb := is_sync_folder_report.report;
begin
  if pg_catalog.jsonb_typeof(r) <> 'object' then
    return false;
  end if;
  if exists (select 1 from pg_catalog.jsonb_object_keys(r) k
              where k <> all (array['folderId', 'label', 'state', 'completion', 'errors', 'error', 'needBytes'])) then
    return false;
  end if;
  if pg_catalog.jsonb_typeof(r -> 'folderId') is distinct from 'string'
     or pg_catalog.length(r ->> 'folderId') > 64
     or (r ->> 'folderId') !~ '^[A-Za-z0-9][A-Za-z0-9._-]*$' then
    return false;
  end if;
  if r ? 'label' and (pg_catalog.jsonb_typeof(r -> 'label') <> 'string' or not vidsync.is_display_text(r ->> 'label', 64)) then
    return false;
  end if;
  if r ? 'error' and (pg_catalog.jsonb_typeof(r -> 'error') <> 'string' or not vidsync.is_display_text(r ->> 'error', 200)) then
    return false;
  end if;
  if pg_catalog.jsonb_typeof(r -> 'state') is distinct from 'string' or not ((r ->> 'state') = any (vidsync.sync_folder_states())) then
    return false;
  end if;
  return vidsync.is_json_number(r -> 'completion', 100, false)
     and vidsync.is_json_number(r -> 'errors', 1000000, true)
     and (not (r ? 'needBytes') or vidsync.is_json_number(r -> 'needBytes', 9007199254740991, true));
end
$$;

-- A whole report: an array of at most 32 folder reports, each folder once.
create function vidsync.are_sync_folders(folders jsonb) returns boolean
  language sql immutable strict parallel safe set search_path = '' as $$
  select pg_catalog.jsonb_typeof(are_sync_folders.folders) = 'array'
     and pg_catalog.jsonb_array_length(are_sync_folders.folders) <= 32
     and (select pg_catalog.bool_and(vidsync.is_sync_folder_report(e)) is not false
                 and pg_catalog.count(distinct e ->> 'folderId') = pg_catalog.count(*)
            from pg_catalog.jsonb_array_elements(are_sync_folders.folders) e)
$$;

-- What of a report is worth a write inside the heartbeat's no-write window:
-- each folder's state and error count (not its completion, which moves all
-- the time while syncing), in folder order.
create function vidsync.sync_folder_transitions(folders jsonb) returns jsonb
  language sql immutable strict parallel safe set search_path = '' as $$
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(e ->> 'folderId', e ->> 'state', e -> 'errors') order by e ->> 'folderId'), '[]'::jsonb)
    from pg_catalog.jsonb_array_elements(sync_folder_transitions.folders) e
$$;

revoke all on function
  vidsync.sync_folder_states(),
  vidsync.is_sync_folder_report(jsonb),
  vidsync.are_sync_folders(jsonb),
  vidsync.sync_folder_transitions(jsonb)
from public, anon, authenticated;
grant execute on function
  vidsync.sync_folder_states(),
  vidsync.is_sync_folder_report(jsonb),
  vidsync.are_sync_folders(jsonb),
  vidsync.sync_folder_transitions(jsonb)
to authenticated, service_role;

alter table vidsync.devices
  add column sync_folders jsonb not null default '[]'::jsonb,
  add constraint devices_sync_folders_count
    check (pg_catalog.jsonb_typeof(sync_folders) = 'array' and pg_catalog.jsonb_array_length(sync_folders) <= 32),
  -- The empty list (most devices, and every registration) skips the function
  -- call: each write of a device row checks this (about 0.15 ms per registration).
  add constraint devices_sync_folders_valid
    check (sync_folders = '[]'::jsonb or vidsync.are_sync_folders(sync_folders));

comment on column vidsync.devices.sync_folders is
  'The last heartbeat''s folder sync state: [{folderId, label?, state, completion, errors, error?, needBytes?}]';

-- A heartbeat: one statement. Members of the device's project (the agent
-- runs as its owner, or signs as the device). `info.folders` goes to
-- sync_folders (absent: the device reports none), the rest to heartbeat.
-- Heartbeats closer than `min_interval` apart are not written (a flood costs
-- the access check and one read of the device row each), except a report whose folder states or error
-- counts changed, so that "syncing" -> "idle" reaches the dashboard at once
-- rather than up to a window later; completion alone does not count.
-- Returns the device's last_seen_at and whether this one was recorded;
-- VS003 for an unknown or invisible device, VS020 for a revoked or released
-- one, VS005 for a malformed report (as the edge's 400).
create function vidsync_api.device_heartbeat(device uuid, info jsonb, min_interval interval default '10 seconds')
  returns table (last_seen_at timestamptz, recorded boolean)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  d record;
  folders jsonb;
begin
  if device_heartbeat.info is null or pg_catalog.jsonb_typeof(device_heartbeat.info) <> 'object' then
    raise exception 'a heartbeat is a JSON object' using errcode = 'VS005';
  end if;
  folders := coalesce(device_heartbeat.info -> 'folders', '[]'::jsonb);
  if not vidsync.are_sync_folders(folders) then
    raise exception 'folders: at most 32 folder reports, each folder once, each well-formed' using errcode = 'VS005';
  end if;
  -- Any member of the device's project (or privileged) may report for it.
  perform vidsync.require_device_access(device_heartbeat.device, auth.uid(), false);
  select x.revoked_at, x.overlay_ip, x.last_seen_at, x.heartbeat, x.sync_folders into d
    from vidsync.devices x where x.id = device_heartbeat.device;
  if not found then
    raise exception 'device % not found', device_heartbeat.device using errcode = 'VS003';
  end if;
  if d.revoked_at is not null or d.overlay_ip is null then
    raise exception 'device % is revoked or released', device_heartbeat.device using errcode = 'VS020';
  end if;
  if d.heartbeat is not null and d.last_seen_at is not null and d.last_seen_at > pg_catalog.now() - device_heartbeat.min_interval
     and vidsync.sync_folder_transitions(d.sync_folders) = vidsync.sync_folder_transitions(folders) then
    last_seen_at := d.last_seen_at;
    recorded := false;
    return next;
    return;
  end if;
  update vidsync.devices x
     set last_seen_at = pg_catalog.now(), heartbeat = device_heartbeat.info - 'folders', sync_folders = folders
   where x.id = device_heartbeat.device;
  last_seen_at := pg_catalog.now();
  recorded := true;
  return next;
end
$$;

revoke all on function vidsync_api.device_heartbeat(uuid, jsonb, interval) from public, anon, authenticated, service_role;
grant execute on function vidsync_api.device_heartbeat(uuid, jsonb, interval) to authenticated, service_role;
