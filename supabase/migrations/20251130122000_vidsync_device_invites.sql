-- Device-enrollment invites (issue 12, section 1): a headless device joins
-- without a user account. An owner or admin creates an invite of kind
-- `device`; `POST /enroll {code, deviceId, deviceName, publicKey, apiKey}`
-- redeems it: the device is registered directly, owned by the invite's
-- creator (their device quota applies), with its API key set, so it signs
-- its own requests from then on. Each enrollment counts against max_uses.
-- A device invite never makes a member (POST /join answers it as unknown),
-- and a member invite never enrolls a device.
--
-- Errors: as for member invites, VS050 expired, VS051 revoked (also when its
-- creator has left the project or is no longer an owner or admin),
-- VS052 used up, VS053 unknown; then register_device's and
-- check_device_quota's own (VS011 quota, VS006 a device id taken, VS005 …).

alter table vidsync.project_invites
  add column kind text not null default 'member' constraint project_invites_kind check (kind in ('member', 'device'));
-- A device invite has no role: it makes no member.
alter table vidsync.project_invites alter column role drop not null;
alter table vidsync.project_invites
  add constraint project_invites_role_of_kind check ((kind = 'member') = (role is not null));

-- Owners and admins: a device invite. Made by a user, who owns the devices it enrolls.
create function vidsync_api.create_device_invite(project uuid, code_hash bytea, max_uses integer, expires_in_seconds integer)
  returns table (invite_id uuid, expires_at timestamptz)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict use_column
begin
  perform vidsync.require_project_role(create_device_invite.project, auth.uid(), array['owner', 'admin']);
  if auth.uid() is null then
    raise exception 'a device invite is made by a user: the devices it enrolls are theirs' using errcode = 'VS005';
  end if;
  if create_device_invite.max_uses is null or create_device_invite.max_uses not between 1 and 1000 then
    raise exception 'an invite is used 1 to 1000 times' using errcode = 'VS005';
  end if;
  if create_device_invite.expires_in_seconds is null or create_device_invite.expires_in_seconds not between 60 and 2592000 then
    raise exception 'an invite expires in 60 seconds to 30 days' using errcode = 'VS005';
  end if;
  if create_device_invite.code_hash is null or pg_catalog.length(create_device_invite.code_hash) <> 32 then
    raise exception 'an invite code is stored as its SHA-256 hash (32 bytes)' using errcode = 'VS005';
  end if;
  insert into vidsync.project_invites as i (project_id, code_hash, kind, role, max_uses, expires_at, created_by)
  values (create_device_invite.project, create_device_invite.code_hash, 'device', null, create_device_invite.max_uses,
          pg_catalog.now() + pg_catalog.make_interval(secs => create_device_invite.expires_in_seconds), auth.uid())
  returning i.id, i.expires_at into invite_id, expires_at;
  return next;
end
$$;

-- The list now says which kind each invite is.
drop function vidsync_api.list_invites(uuid);
create function vidsync_api.list_invites(project uuid)
  returns table (invite_id uuid, kind text, role text, max_uses integer, uses integer, expires_at timestamptz,
                 revoked_at timestamptz, created_by uuid, created_at timestamptz)
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  perform vidsync.require_project_role(list_invites.project, auth.uid(), array['owner', 'admin']);
  return query
    select i.id, i.kind, i.role, i.max_uses, i.uses, i.expires_at, i.revoked_at, i.created_by, i.created_at
      from vidsync.project_invites i
     where i.project_id = list_invites.project
     order by i.created_at desc, i.id;
end
$$;

-- An invite's code, looked up and locked for one use: under its row lock,
-- so concurrent redemptions count uses one at a time. VS053 when no invite
-- of that kind has the code (a device code is unknown to POST /join, a
-- member code to POST /enroll).
create function vidsync.invite_by_code(code_hash bytea, kind text)
  returns vidsync.project_invites
  language plpgsql
  security definer
  set search_path = ''
as $$
declare
  i vidsync.project_invites;
begin
  select * into i from vidsync.project_invites x
   where x.code_hash = invite_by_code.code_hash and x.kind = invite_by_code.kind for update;
  if not found then
    raise exception 'no % invite has this code', invite_by_code.kind using errcode = 'VS053';
  end if;
  return i;
end
$$;

-- Whether an invite may be used once more. An invite is worth no more than
-- its creator still is (review of 2026-11-30, tests/api/review-attacks.test.ts):
-- a removed or demoted admin's codes went on making admins (their own second
-- account among them) and enrolling devices. So a code redeems only while
-- its creator is an owner or admin of the project, i.e. could make it now;
-- otherwise it answers as revoked (VS051). Nothing is destroyed: made an
-- admin again, the creator's codes work again until they expire. Invites
-- made by the service role or the SQL editor (no creator) are tied to no one.
create function vidsync.check_invite_usable(i vidsync.project_invites)
  returns void
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  if i.revoked_at is not null then
    raise exception 'this invite was revoked' using errcode = 'VS051';
  end if;
  if i.created_by is not null and coalesce(vidsync.member_role(i.project_id, i.created_by) in ('owner', 'admin'), false) is false then
    raise exception 'the member who made this invite has left the project or may no longer make invites' using errcode = 'VS051';
  end if;
  if i.expires_at <= pg_catalog.now() then
    raise exception 'this invite expired at %', i.expires_at using errcode = 'VS050';
  end if;
  if i.uses >= i.max_uses then
    raise exception 'this invite was used % times, its limit', i.max_uses using errcode = 'VS052';
  end if;
end
$$;

-- As before, for member invites only: a device invite's code is unknown here.
create or replace function vidsync_api.redeem_invite(code_hash bytea)
  returns table (project_id uuid, role text, joined boolean)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  i vidsync.project_invites;
  existing text;
begin
  if auth.uid() is null then
    raise exception 'only a signed-in user may redeem an invite' using errcode = 'VS004';
  end if;
  i := vidsync.invite_by_code(redeem_invite.code_hash, 'member');
  project_id := i.project_id;
  existing := vidsync.member_role(i.project_id, auth.uid());
  if existing is not null then
    role := existing;
    joined := false;
    return next;
    return;
  end if;
  perform vidsync.check_invite_usable(i);
  update vidsync.project_invites x set uses = x.uses + 1 where x.id = i.id;
  insert into vidsync.project_members (project_id, user_id, role) values (i.project_id, auth.uid(), i.role);
  role := i.role;
  joined := true;
  return next;
end
$$;

-- The service role (the function's POST /enroll) redeems a device invite:
-- under the invite's row lock, one use is counted, the device is registered
-- for the invite's creator (quota first, as a registration does) and its API
-- key is set. The function then signs its certificate in the same
-- transaction; a failure anywhere leaves the use uncounted.
--
-- An enrollment makes a NEW device, never takes over one that exists
-- (review of 2026-11-30): register_device's upsert updates a row of the same
-- owner and project in place, and device ids are no secret (every member
-- and every peer sees them), so a device code could otherwise replace the
-- creator's laptop's or lighthouse's key, name and API key. An id that
-- exists, in any project, whatever its state, is VS006 (409 conflict) before
-- the use is counted; and the row must be the one this transaction inserted
-- (its created_at is this transaction's now()), which also catches the same
-- new id enrolled or registered by a transaction that committed meanwhile.
create function vidsync_api.enroll_device(code_hash bytea, device uuid, name text, public_key text, api_public_key text)
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
  i := vidsync.invite_by_code(enroll_device.code_hash, 'device');
  perform vidsync.check_invite_usable(i);
  if i.created_by is null then
    raise exception 'a device invite without a creator enrolls for no one' using errcode = 'VS051';
  end if;
  if exists (select 1 from vidsync.devices d where d.id = enroll_device.device) then
    raise exception 'device % exists: an enrollment makes a new device', enroll_device.device using errcode = 'VS006';
  end if;
  update vidsync.project_invites x set uses = x.uses + 1 where x.id = i.id;
  perform vidsync_api.check_device_quota(i.project_id, enroll_device.device, i.created_by);
  select r.ip, r.subnet into registered
    from vidsync_api.register_device(i.project_id, enroll_device.device, enroll_device.name, enroll_device.public_key,
                                     false, '{}'::text[], null, i.created_by) r;
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

revoke all on function
  vidsync.invite_by_code(bytea, text),
  vidsync.check_invite_usable(vidsync.project_invites),
  vidsync_api.create_device_invite(uuid, bytea, integer, integer),
  vidsync_api.list_invites(uuid),
  vidsync_api.redeem_invite(bytea),
  vidsync_api.enroll_device(bytea, uuid, text, text, text)
  from public, anon, authenticated, service_role;
grant execute on function
  vidsync_api.create_device_invite(uuid, bytea, integer, integer),
  vidsync_api.list_invites(uuid),
  vidsync_api.redeem_invite(bytea)
  to authenticated, service_role;
-- No user redeems a device invite: the function does, before the device has any identity.
grant execute on function vidsync_api.enroll_device(bytea, uuid, text, text, text) to service_role;
