-- Syncthing device IDs, validated fully in the database as at the edge.
--
-- The rule (the same as supabase/functions/_shared/syncthing/device-id.ts,
-- which says where it comes from): Syncthing's display form, 8 dash-separated
-- groups of 7 characters of A-Z 2-7, where the 7th, 14th… read as 4 groups
-- of 13 data characters each followed by its check character (Syncthing's
-- Luhn mod 32: factor 1, 2, 1… from the left, addends folded as a/32 + a%32,
-- check = (32 - sum % 32) % 32), and the last data character is A or Q (it
-- carries the SHA-256's last bit and four zero bits).
-- tests/db/syncthing-device-id.test.ts runs the SQL and the TypeScript rule
-- on one corpus, including IDs made by the real `syncthing` binary.

create function vidsync.is_syncthing_device_id(id text) returns boolean
  language plpgsql immutable strict parallel safe set search_path = '' as $$
declare
  alphabet constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  chars text;
  factor integer;
  total integer;
  addend integer;
begin
  if is_syncthing_device_id.id !~ '^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$' then
    return false;
  end if;
  chars := pg_catalog.replace(is_syncthing_device_id.id, '-', '');
  for grp in 0..3 loop
    factor := 1;
    total := 0;
    for i in 1..13 loop
      addend := factor * (pg_catalog.strpos(alphabet, pg_catalog.substr(chars, grp * 14 + i, 1)) - 1);
      factor := 3 - factor;
      total := total + addend / 32 + addend % 32;
    end loop;
    if pg_catalog.substr(alphabet, (32 - total % 32) % 32 + 1, 1) <> pg_catalog.substr(chars, grp * 14 + 14, 1) then
      return false;
    end if;
  end loop;
  return pg_catalog.substr(chars, 55, 1) in ('A', 'Q');
end
$$;
revoke all on function vidsync.is_syncthing_device_id(text) from public, anon, authenticated;
grant execute on function vidsync.is_syncthing_device_id(text) to authenticated, service_role;

-- A trigger rather than a CHECK so that the refusal carries our SQLSTATE
-- (VS005, validation_failed) like every other refused input, whoever writes
-- the row (register_device, the Syncthing route, the SQL editor).
create function vidsync.devices_syncthing_device_id_valid() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if new.syncthing_device_id is not null and not vidsync.is_syncthing_device_id(new.syncthing_device_id) then
    raise exception 'not a Syncthing device ID (8 dash-separated groups of 7 A-Z/2-7 with valid check characters): %',
      pg_catalog.left(new.syncthing_device_id, 80) using errcode = 'VS005';
  end if;
  return new;
end
$$;
revoke all on function vidsync.devices_syncthing_device_id_valid() from public, anon, authenticated;
create trigger devices_syncthing_device_id_valid
  before insert or update of syncthing_device_id on vidsync.devices
  for each row execute function vidsync.devices_syncthing_device_id_valid();

-- One Syncthing device per live device of a project: two live devices with
-- one ID would be one Syncthing peer with two overlay addresses. Released
-- devices (no address) keep their ID without blocking a new registration of
-- the same machine; a conflict surfaces as 23505 (409 conflict).
create unique index devices_syncthing_device_id_unique on vidsync.devices (project_id, syncthing_device_id)
  where syncthing_device_id is not null and overlay_ip is not null;

-- Setting a device's Syncthing device ID after registration
-- (PUT /devices/:deviceId/syncthing). Who may: the device's owner, a project
-- owner/admin, the service role — the same rule as releasing it
-- (vidsync.require_device_access with manage). The ID is checked by the
-- trigger above (VS005) and is unique among the project's live
-- devices (VS006 here, with a message, rather than a bare 23505). Null
-- clears it. Returns the value stored.
create function vidsync_api.set_syncthing_device_id(device uuid, syncthing_device_id text) returns text
  language plpgsql security definer set search_path = '' as $$
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
