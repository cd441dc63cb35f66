-- An address chosen by an owner or admin: pin a live device to a free
-- address of its project's pool (the HTTP route POST /devices/:id/address,
-- or this function in the SQL editor).
--
-- Errors, each its own SQLSTATE (class VS, 04x):
--   VS040 address_taken        another live device holds it
--   VS041 address_cooling      it was released and is still cooling
--   VS042 address_out_of_pool  not an address of the project's subnet
--   VS043 address_reserved     the subnet's network or broadcast address
-- and as elsewhere VS003 (unknown device, or not a member), VS004 (a member
-- who is not owner/admin), VS005 (not an IPv4 host address), VS020 (the
-- device is revoked or released: register it again).
--
-- The pool is written lazily in chunks (vidsync.populate_pool_chunk): the chunk holding
-- the chosen address is written first, under the chunk's advisory lock
-- (waiting for an allocator that is writing it), so an address nobody has
-- used yet is as free as one already written.
--
-- The device's previous address is released (it cools, like any release),
-- and its certificates stay valid: they carry the old address, which nobody
-- else can hold before they expire (a certificate never outlives the cooling
-- interval). The device needs a certificate for its new address: the HTTP
-- route signs one in the same transaction; after a pin in the SQL editor the
-- device gets it at its next renewal (POST /renew answers for the current
-- address).
create function vidsync_api.pin_device_address(device uuid, ip inet)
  returns table (project_id uuid, pinned_ip inet, previous_ip inet)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  d vidsync.devices;
  subnet cidr;
  base inet;
  size bigint;
  per_chunk bigint;
  slot record;
begin
  select * into d from vidsync.devices x where x.id = pin_device_address.device;
  if not found then
    raise exception 'device % not found', pin_device_address.device using errcode = 'VS003';
  end if;
  -- Owners and admins (and privileged callers); a plain member hears VS004,
  -- anyone else VS003 as for an unknown device.
  perform vidsync.require_project_role(d.project_id, auth.uid(), array['owner', 'admin']);

  if pin_device_address.ip is null or pg_catalog.family(pin_device_address.ip) <> 4 or pg_catalog.masklen(pin_device_address.ip) <> 32 then
    raise exception 'an address is one IPv4 host address (a.b.c.d)' using errcode = 'VS005';
  end if;

  d := vidsync.require_live_device(pin_device_address.device);

  select p.subnet into subnet from vidsync.projects p where p.id = d.project_id;
  if not (pin_device_address.ip <<= subnet) then
    raise exception 'address % is not in the project''s subnet %', pin_device_address.ip, subnet
      using errcode = 'VS042';
  end if;
  base := pg_catalog.set_masklen(subnet::inet, 32);
  size := (2::bigint ^ (32 - pg_catalog.masklen(subnet)))::bigint;
  if pin_device_address.ip = base or pin_device_address.ip - base = size - 1 then
    raise exception 'address % is the network or broadcast address of %', pin_device_address.ip, subnet
      using errcode = 'VS043';
  end if;

  project_id := d.project_id;
  pinned_ip := pin_device_address.ip;
  previous_ip := d.overlay_ip;
  if d.overlay_ip = pin_device_address.ip then
    return next; -- already there: nothing to do
    return;
  end if;

  -- Write the address's chunk if nobody has yet.
  per_chunk := vidsync.pool_chunk_size(subnet);
  perform vidsync.try_lock_pool_chunk(d.project_id, (pin_device_address.ip - base) / per_chunk, true);
  perform vidsync.populate_pool_chunk(d.project_id, subnet, (pin_device_address.ip - base) / per_chunk);

  select p.device_id, p.reusable_after into slot
    from vidsync.ip_pool p
   where p.project_id = d.project_id and p.ip = pin_device_address.ip
   for update;
  if slot.device_id is not null then
    raise exception 'address % is taken by another device', pin_device_address.ip using errcode = 'VS040';
  end if;
  if slot.reusable_after > pg_catalog.clock_timestamp() then
    raise exception 'address % was released recently and is cooling until % UTC: choose another address',
      pin_device_address.ip, pg_catalog.to_char(pg_catalog.timezone('UTC', slot.reusable_after), 'YYYY-MM-DD HH24:MI:SS')
      using errcode = 'VS041', hint = 'reusable after ' || slot.reusable_after::text;
  end if;

  perform vidsync.release_ip(pin_device_address.device, auth.uid(), 'moved to ' || pg_catalog.host(pin_device_address.ip));
  perform vidsync.assign_ip(d.project_id, pin_device_address.device, pin_device_address.ip, auth.uid());
  update vidsync.devices x set overlay_ip = pin_device_address.ip, updated_at = pg_catalog.now()
   where x.id = pin_device_address.device;
  return next;
end
$$;

revoke all on function vidsync_api.pin_device_address(uuid, inet) from public, anon, authenticated, service_role;
grant execute on function vidsync_api.pin_device_address(uuid, inet) to authenticated, service_role;
