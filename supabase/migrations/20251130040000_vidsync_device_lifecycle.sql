-- The device lifecycle: revocation that reaches peers, renewal, heartbeats,
-- reclaiming devices nobody has seen for long, and the device's own API key.
--
-- Revocation: a certificate is revoked by setting issued_certificates.revoked_at;
-- the project's blocklist is every revoked certificate that has not expired
-- yet (after that nebula refuses it anyway). Releasing, revoking or
-- reclaiming a device, and changing its public key, revoke its certificates.
-- A revoked device (devices.revoked_at) is refused renewal, heartbeats and
-- registration (VS020, `device_revoked`) until an owner/admin clears it in
-- the SQL editor.

alter table vidsync.devices
  add column revoked_at timestamptz,
  -- The device's own Ed25519 API key: raw 32 bytes, base64 (never a private key).
  add column api_public_key text
    constraint devices_api_public_key_format check (api_public_key ~ '^[A-Za-z0-9+/]{43}=$'),
  -- What the device's agent last reported (nebula and agent version, the
  -- certificate in use, underlay addresses), with last_seen_at.
  add column heartbeat jsonb
    constraint devices_heartbeat_size check (pg_catalog.pg_column_size(heartbeat) <= 4096);

-- A renewed certificate's PEM, so that a retried renewal returns the same
-- certificate (not secret: peers see it in every handshake).
alter table vidsync.issued_certificates
  add column certificate_pem text
    constraint issued_certificates_pem_length check (pg_catalog.length(certificate_pem) <= 16384);

alter table vidsync.projects
  add column reclaim_after interval not null default '30 days'
    constraint projects_reclaim_after_positive check (reclaim_after >= interval '1 hour');

-- The blocklist of a project: revoked certificates that have not expired.
create index issued_certificates_blocklist_idx on vidsync.issued_certificates (project_id, not_after)
  where revoked_at is not null;
-- Devices by last sighting, for the reclaim job.
create index devices_last_seen_idx on vidsync.devices (last_seen_at) where overlay_ip is not null;

-- Revokes every still-valid certificate of the device; returns how many.
create function vidsync.revoke_certificates(device_id uuid) returns integer
  language sql set search_path = '' as $$
  with revoked as (
    update vidsync.issued_certificates c
       set revoked_at = pg_catalog.now()
     where c.device_id = revoke_certificates.device_id
       and c.revoked_at is null
       and c.not_after > pg_catalog.now()
    returning 1
  )
  select pg_catalog.count(*)::integer from revoked
$$;

-- Devices' rows guard the lifecycle themselves, whoever writes them:
--  * a new public key revokes the certificates issued for the old one (a
--    re-registration with a new key, or a renewal that rotates it);
--  * a revoked device stays revoked: any other change is refused (VS020),
--    so registering it again fails until revoked_at is cleared.
create function vidsync.devices_lifecycle() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if old.revoked_at is not null and new.revoked_at is not null then
    raise exception 'device % is revoked', old.id using errcode = 'VS020';
  end if;
  if pg_catalog.btrim(new.public_key) is distinct from pg_catalog.btrim(old.public_key) then
    perform vidsync.revoke_certificates(old.id);
  end if;
  return new;
end
$$;
create trigger devices_lifecycle
  before update of public_key, revoked_at, name, is_lighthouse, lighthouse_endpoints, overlay_ip on vidsync.devices
  for each row execute function vidsync.devices_lifecycle();

-- The device's row, locked until the transaction ends, when it may still
-- get certificates: VS020 when it is revoked or was released (register it
-- again). For steps that already checked who may act on the device.
create function vidsync.require_live_device(device_id uuid) returns vidsync.devices
  language plpgsql set search_path = '' as $$
declare
  d vidsync.devices;
begin
  perform vidsync.lock_device(require_live_device.device_id);
  select * into d from vidsync.devices x where x.id = require_live_device.device_id;
  if not found then
    raise exception 'device % not found', require_live_device.device_id using errcode = 'VS003';
  end if;
  if d.revoked_at is not null then
    raise exception 'device % is revoked', require_live_device.device_id using errcode = 'VS020';
  end if;
  if d.overlay_ip is null then
    raise exception 'device % was released; register it again', require_live_device.device_id using errcode = 'VS020';
  end if;
  return d;
end
$$;
-- What revoking a device does, for revoke_device and for remove_member
-- (each checks and locks in its own order first): its still-valid
-- certificates go on the project's blocklist, its address is released (it
-- cools), and it is marked revoked, once (a revoked device keeps the time it
-- was first revoked). Returns the number of certificates revoked.
create function vidsync.revoke_and_release(device_id uuid, revoked_by uuid, reason text) returns integer
  language plpgsql set search_path = '' as $$
declare
  revoked integer;
begin
  revoked := vidsync.revoke_certificates(revoke_and_release.device_id);
  perform vidsync.release_ip(revoke_and_release.device_id, revoke_and_release.revoked_by, revoke_and_release.reason);
  update vidsync.devices d set revoked_at = pg_catalog.now(), updated_at = pg_catalog.now()
   where d.id = revoke_and_release.device_id and d.revoked_at is null;
  return revoked;
end
$$;

-- Revokes a device (its owner, a project owner/admin, or privileged): every
-- still-valid certificate goes on the project's blocklist, the address is
-- released (it cools), and the device may neither renew nor register again.
-- Idempotent. Returns the number of certificates revoked by this call.
create function vidsync_api.revoke_device(device uuid, reason text default null)
  returns table (project_id uuid, revoked_certificates integer, released_ip inet)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
begin
  project_id := vidsync.require_device_access(revoke_device.device, auth.uid(), true);
  perform vidsync.lock_device(revoke_device.device);
  select d.overlay_ip into released_ip from vidsync.devices d where d.id = revoke_device.device;
  revoked_certificates := vidsync.revoke_and_release(revoke_device.device, auth.uid(), coalesce(revoke_device.reason, 'revoked'));
  return next;
end
$$;

-- What renewal needs, after the checks: the device's owner, a project
-- owner/admin or privileged; VS020 when the device is revoked or released.
-- With `public_key` (key rotation) the device's key changes here, and the
-- trigger above revokes the certificates of the old key.
create function vidsync_api.prepare_renewal(device uuid, public_key text default null)
  returns table (project_id uuid, name text, ip inet, subnet cidr, is_lighthouse boolean, device_public_key text)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  d vidsync.devices;
begin
  perform vidsync.require_device_access(prepare_renewal.device, auth.uid(), true);
  d := vidsync.require_live_device(prepare_renewal.device);
  if prepare_renewal.public_key is not null and pg_catalog.length(prepare_renewal.public_key) not between 1 and 1024 then
    raise exception 'a public key has 1 to 1024 characters' using errcode = 'VS005';
  end if;
  if prepare_renewal.public_key is not null and pg_catalog.btrim(prepare_renewal.public_key) <> pg_catalog.btrim(d.public_key) then
    update vidsync.devices x set public_key = prepare_renewal.public_key, updated_at = pg_catalog.now()
     where x.id = prepare_renewal.device;
    d.public_key := prepare_renewal.public_key;
  end if;
  project_id := d.project_id;
  name := d.name;
  ip := d.overlay_ip;
  select p.subnet into subnet from vidsync.projects p where p.id = d.project_id;
  is_lighthouse := d.is_lighthouse;
  device_public_key := d.public_key;
  return next;
end
$$;

-- The heartbeat (vidsync_api.device_heartbeat) is defined with the folder
-- sync state it carries, in 20251130110000_vidsync_sync_folders.sql.

-- Sets the device's API key (its owner, a project owner/admin, or
-- privileged): the Ed25519 public key its requests are signed with. Refused
-- for a revoked device.
create function vidsync_api.set_device_api_key(device uuid, api_public_key text) returns void
  language plpgsql security definer set search_path = '' as $$
begin
  perform vidsync.require_device_access(set_device_api_key.device, auth.uid(), true);
  if set_device_api_key.api_public_key is not null and set_device_api_key.api_public_key !~ '^[A-Za-z0-9+/]{43}=$' then
    raise exception 'an API key is 32 bytes in base64' using errcode = 'VS005';
  end if;
  if exists (select 1 from vidsync.devices d where d.id = set_device_api_key.device and d.revoked_at is not null) then
    raise exception 'device % is revoked', set_device_api_key.device using errcode = 'VS020';
  end if;
  update vidsync.devices d set api_public_key = set_device_api_key.api_public_key, updated_at = pg_catalog.now()
   where d.id = set_device_api_key.device;
end
$$;

-- Signed device requests seen recently, so a captured request cannot be
-- replayed within its ±5 minute window. Rows older than the window are
-- deleted as new ones arrive.
create table vidsync.device_request_nonces (
  device_id uuid not null references vidsync.devices (id) on delete cascade,
  nonce text not null check (pg_catalog.length(nonce) between 16 and 64),
  seen_at timestamptz not null default pg_catalog.now(),
  primary key (device_id, nonce)
);
create index device_request_nonces_seen_idx on vidsync.device_request_nonces (seen_at);
alter table vidsync.device_request_nonces enable row level security;
revoke all on vidsync.device_request_nonces from public, anon, authenticated;
grant select, insert, delete on vidsync.device_request_nonces to service_role;

-- The reclaim job: releases and revokes every device not seen for its
-- project's reclaim_after (devices that never sent a heartbeat count from
-- their registration). Returns what it did and logs each device. The
-- addresses cool as after any release. Run by pg_cron where it exists
-- (below), by `npm run dev` locally, or by hand: select * from vidsync_api.reclaim_unseen_devices();
create function vidsync_api.reclaim_unseen_devices()
  returns table (device_id uuid, project_id uuid, released_ip inet, last_seen_at timestamptz, revoked_certificates integer)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  d record;
begin
  if not vidsync.caller_is_privileged() then
    raise exception 'only the service role may reclaim devices' using errcode = 'VS004';
  end if;
  for d in
    select x.id, x.project_id, x.overlay_ip, x.last_seen_at
      from vidsync.devices x
      join vidsync.projects p on p.id = x.project_id
     where x.overlay_ip is not null
       and coalesce(x.last_seen_at, x.created_at) < pg_catalog.now() - p.reclaim_after
     order by x.project_id, x.overlay_ip
     for update of x skip locked
  loop
    device_id := d.id;
    project_id := d.project_id;
    released_ip := d.overlay_ip;
    last_seen_at := d.last_seen_at;
    revoked_certificates := vidsync.revoke_certificates(d.id);
    perform vidsync.release_ip(d.id, null, 'reclaimed: not seen since ' || coalesce(d.last_seen_at::text, 'registration'));
    raise log 'vidsync reclaim: device % of project % released % (last seen %), % certificate(s) revoked',
      d.id, d.project_id, d.overlay_ip, d.last_seen_at, revoked_certificates;
    return next;
  end loop;
end
$$;

revoke all on function
  vidsync.revoke_certificates(uuid),
  vidsync.require_live_device(uuid),
  vidsync.revoke_and_release(uuid, uuid, text),
  vidsync.devices_lifecycle(),
  vidsync_api.revoke_device(uuid, text),
  vidsync_api.prepare_renewal(uuid, text),
  vidsync_api.set_device_api_key(uuid, text),
  vidsync_api.reclaim_unseen_devices()
from public, anon, authenticated, service_role;
grant execute on function
  vidsync_api.revoke_device(uuid, text),
  vidsync_api.prepare_renewal(uuid, text),
  vidsync_api.set_device_api_key(uuid, text)
to authenticated, service_role;
-- Callable by users too, but it refuses anyone not privileged (VS004).
grant execute on function vidsync_api.reclaim_unseen_devices() to authenticated, service_role;

-- Hourly reclaim with pg_cron, where the extension is installed (hosted
-- Supabase: Database → Extensions → pg_cron, or `create extension pg_cron`,
-- then re-run this block). A plain Postgres has no pg_cron: nothing happens.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('vidsync-reclaim-unseen-devices', '17 * * * *', 'select * from vidsync_api.reclaim_unseen_devices()');
  end if;
end
$$;
