-- Setting a device's Syncthing device ID after registration
-- (PUT /devices/:deviceId/syncthing). Who may: the device's owner, a project
-- owner/admin, the service role — the same rule as releasing it
-- (vidsync.require_device_access with manage). The ID is checked by the
-- trigger of 20251130050000 (VS005) and is unique among the project's live
-- devices (VS006 here, with a message, rather than a bare 23505). Null
-- clears it. Returns the value stored.
create function vidsync_api.set_syncthing_device_id(device uuid, syncthing_device_id text) returns text
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  perform vidsync.require_device_access(set_syncthing_device_id.device, auth.uid(), true);
  begin
    update vidsync.devices d
       set syncthing_device_id = set_syncthing_device_id.syncthing_device_id,
           updated_at = pg_catalog.now()
     where d.id = set_syncthing_device_id.device
       and d.syncthing_device_id is distinct from set_syncthing_device_id.syncthing_device_id;
  exception when unique_violation then
    raise exception 'another live device of this project has Syncthing device ID %', set_syncthing_device_id.syncthing_device_id
      using errcode = 'VS006';
  end;
  return set_syncthing_device_id.syncthing_device_id;
end
$$;
revoke all on function vidsync_api.set_syncthing_device_id(uuid, text) from public, anon, authenticated;
grant execute on function vidsync_api.set_syncthing_device_id(uuid, text) to authenticated, service_role;
