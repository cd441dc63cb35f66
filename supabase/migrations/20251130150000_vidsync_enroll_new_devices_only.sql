-- POST /enroll makes a NEW device, never takes over one that exists
-- (review of 2026-11-30, tests/api/review-attacks.test.ts).
--
-- enroll_device registered the device for the invite's creator through
-- register_device, whose upsert updates a row of the same owner and project
-- in place (a device registering again keeps its address). Device ids are
-- no secret (GET /projects/:id shows them to every member, GET /peers to
-- every device of the project), so whoever held a device code — or a device
-- enrolled with a multi-use one — could name the creator's laptop or
-- lighthouse and replace its key, name, lighthouse role and API key: its
-- certificates revoked, its address and its signed routes theirs. Two
-- enrollments of one new id at once both succeeded, the second overwriting
-- the first.
--
-- Now an id that already exists, in any project, whatever its state, is
-- VS006 (409 conflict) before the use is counted; and the row must be the
-- one this transaction inserted (its created_at is this transaction's
-- now()), which also catches an enrollment or registration of the same new
-- id that committed while this one waited on it. Any failure rolls back the
-- use, as before.
create or replace function vidsync_api.enroll_device(code_hash bytea, device uuid, name text, public_key text, api_public_key text)
  returns table (project_id uuid, owner_id uuid, ip inet, subnet cidr)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  i vidsync.project_invites;
  registered record;
begin
  select * into i from vidsync.project_invites x
   where x.code_hash = enroll_device.code_hash and x.kind = 'device' for update;
  if not found then
    raise exception 'no device invite has this code' using errcode = 'VS053';
  end if;
  if i.revoked_at is not null then
    raise exception 'this invite was revoked' using errcode = 'VS051';
  end if;
  if i.expires_at <= pg_catalog.now() then
    raise exception 'this invite expired at %', i.expires_at using errcode = 'VS050';
  end if;
  if i.uses >= i.max_uses then
    raise exception 'this invite was used % times, its limit', i.max_uses using errcode = 'VS052';
  end if;
  -- An invite is worth what its creator still is (migration 20251130150100):
  -- one who left or is no longer an owner or admin could not make it now.
  if i.created_by is null or coalesce(vidsync.member_role(i.project_id, i.created_by) in ('owner', 'admin'), false) is false then
    raise exception 'the member who made this invite has left the project or may no longer make invites' using errcode = 'VS051';
  end if;
  if exists (select 1 from vidsync.devices d where d.id = enroll_device.device) then
    raise exception 'device % exists: an enrollment makes a new device', enroll_device.device using errcode = 'VS006';
  end if;
  update vidsync.project_invites x set uses = x.uses + 1 where x.id = i.id;
  perform vidsync_api.check_device_quota(i.project_id, enroll_device.device, i.created_by);
  select r.ip, r.subnet into registered
    from vidsync_api.register_device(i.project_id, enroll_device.device, enroll_device.name, enroll_device.public_key,
                                     false, '{}'::text[], null, i.created_by) r;
  -- The same new id, enrolled or registered by another transaction that
  -- committed while this one waited on its row: register_device updated
  -- that device instead of inserting ours.
  if not exists (select 1 from vidsync.devices d where d.id = enroll_device.device and d.created_at = pg_catalog.now()) then
    raise exception 'device % exists: an enrollment makes a new device', enroll_device.device using errcode = 'VS006';
  end if;
  perform vidsync_api.set_device_api_key(enroll_device.device, enroll_device.api_public_key);
  project_id := i.project_id;
  owner_id := i.created_by;
  ip := registered.ip;
  subnet := registered.subnet;
  return next;
end
$$;
