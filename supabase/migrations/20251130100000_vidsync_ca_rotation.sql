-- CA rotation and retirement (POST /ca/:projectId/rotate, DELETE /ca/:projectId/:fingerprint).
--
-- A rotation makes a new CA the signing one and moves the project onto it:
-- every earlier CA stays trusted only while a device still runs a certificate
-- it signed, so that devices keep working until they have renewed, and at
-- most until the date the owner gave (retireOldAt). An import, as before,
-- leaves earlier CAs trusted until they expire (hosts signed outside VidSync
-- may depend on them, which the database cannot see). Which CAs a project
-- trusts is one rule, vidsync.trusted_cas(project), read by GET /ca, every
-- bundle's ca.crt, the nebula.yml of GET /config (what agents poll) and the
-- limit of trusted CAs. A CA is trusted while it is unexpired, not retired,
-- before its retire_at, and either
--   * it signs (the active one), or
--   * no rotation superseded it (imported or superseded by an import), or
--   * a live certificate depends on it: the newest certificate of a device,
--     unrevoked and unexpired (one superseded by a renewal is no longer what
--     the device runs).
-- Retiring (vidsync_api.retire_ca) takes a CA out of the trust set at once;
-- its devices' certificates are no longer trusted by their peers, they must
-- renew. The signing CA cannot be retired (VS070): rotate first.

alter table vidsync.project_cas
  -- Superseded by a rotation: trusted only while a device's current certificate needs it.
  add column leaves_when_unused boolean not null default false,
  -- Leaves the trust set at this date even if certificates still depend on it (a rotation's retireOldAt).
  add column retire_at timestamptz,
  -- Retired explicitly: out of the trust set from then on, never back.
  add column retired_at timestamptz,
  add constraint project_cas_signing_not_retired check (not (active and retired_at is not null));

-- Whether a device still runs a certificate `fingerprint` signed: a device's
-- newest unrevoked certificate, unexpired, is by that CA. Walks the CA's live
-- certificates newest first (current ones come first, so a CA in use answers
-- at its first row) and probes each device's newer ones; a CA nobody uses
-- costs one probe per unexpired certificate it signed, none once they have
-- expired. plpgsql, so that the planner keeps it a per-CA probe.
create index issued_certificates_ca_live_idx on vidsync.issued_certificates (ca_fingerprint, not_after) where revoked_at is null;
create index issued_certificates_device_live_idx on vidsync.issued_certificates (device_id, issued_at) where revoked_at is null;

create function vidsync.ca_has_dependents(fingerprint text) returns boolean
  language plpgsql stable set search_path = '' as $$
begin
  return exists (
    select 1 from vidsync.issued_certificates ic
     where ic.ca_fingerprint = ca_has_dependents.fingerprint and ic.revoked_at is null and ic.not_after > pg_catalog.now()
       and not exists (
         select 1 from vidsync.issued_certificates newer
          where newer.device_id = ic.device_id and newer.revoked_at is null and newer.issued_at > ic.issued_at));
end
$$;
revoke all on function vidsync.ca_has_dependents(text) from public, anon, authenticated;
grant execute on function vidsync.ca_has_dependents(text) to service_role;

-- The project's trusted CAs, the signing one first, then newest first. The
-- function's own reader (service_role: it sees the sealed keys) and the SQL
-- editor's; not a user's. CASE, not OR: the dependency probe runs only for a
-- CA a rotation superseded. PL/pgSQL, not SQL: a SQL function with its own
-- search_path is never inlined, and was planned afresh at every call (more
-- than the query itself costs); PL/pgSQL keeps the plan for the session.
create function vidsync.trusted_cas(project uuid) returns setof vidsync.project_cas
  language plpgsql stable set search_path = '' as $$
begin
  return query
  select c.* from vidsync.project_cas c
   where c.project_id = trusted_cas.project
     and c.not_after > pg_catalog.now()
     and c.retired_at is null
     and case
           when c.active then true
           when c.retire_at is not null and c.retire_at <= pg_catalog.now() then false
           when not c.leaves_when_unused then true
           else vidsync.ca_has_dependents(c.fingerprint)
         end
   order by c.active desc, c.created_at desc, c.fingerprint;
end
$$;
revoke all on function vidsync.trusted_cas(uuid) from public, anon, authenticated;
grant execute on function vidsync.trusted_cas(uuid) to service_role;

-- Every new CA row of a project (an import, a rotation, a new project's CA):
-- valid now (VS032), not longer than the deployment allows (VS033), and
-- within the limit of trusted CAs (VS031), counted by the rule above: a
-- retired or no longer needed CA leaves room for a rotation.
create function vidsync.project_cas_limits() returns trigger
  language plpgsql set search_path = '' as $$
declare
  trusted integer;
begin
  -- Imports and rotations into one project, one at a time, so that two cannot
  -- both take the last place. No key update: registrations (which only hold
  -- key-share locks on the project through their foreign keys) do not wait.
  perform 1 from vidsync.projects p where p.id = new.project_id for no key update;
  -- The devices' clock skew allowance (ca.ts CLOCK_SKEW_SECONDS).
  if new.not_before > pg_catalog.clock_timestamp() + interval '5 minutes' then
    raise exception 'the CA is not valid before %', new.not_before using errcode = 'VS032';
  end if;
  if new.not_after - new.not_before > (select s.max_ca_lifetime from vidsync.settings s) then
    raise exception 'the CA is valid for longer than this deployment allows (vidsync.settings.max_ca_lifetime)' using errcode = 'VS033';
  end if;
  select pg_catalog.count(*) into trusted from vidsync.trusted_cas(new.project_id);
  if trusted >= vidsync.max_trusted_cas() then
    raise exception 'project % already trusts % CAs, the most a bundle may carry; retire one first', new.project_id, trusted
      using errcode = 'VS031';
  end if;
  return new;
end
$$;
create trigger project_cas_limits
  before insert on vidsync.project_cas
  for each row execute function vidsync.project_cas_limits();
revoke all on function vidsync.project_cas_limits() from public, anon, authenticated, service_role;

-- Owners and admins (and the service role): `fingerprint` leaves the
-- project's trust set now. Unknown here (or a project the caller cannot see)
-- is VS003; the signing CA is VS070 (rotate first). Idempotent: retiring a
-- retired CA returns when it was retired.
create function vidsync_api.retire_ca(project uuid, fingerprint text)
  returns table (retired_at timestamptz)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  ca record;
begin
  perform vidsync.require_project_role(retire_ca.project, auth.uid(), array['owner', 'admin']);
  -- The project's CA rows serialized with rotations and imports (the same lock as vidsync.project_cas_limits).
  perform 1 from vidsync.projects p where p.id = retire_ca.project for no key update;
  select c.fingerprint, c.active, c.retired_at into ca from vidsync.project_cas c
   where c.project_id = retire_ca.project and c.fingerprint = retire_ca.fingerprint
   for update;
  if not found then
    raise exception 'project % has no CA %', retire_ca.project, retire_ca.fingerprint using errcode = 'VS003';
  end if;
  if ca.active then
    raise exception 'CA % signs the project''s certificates; rotate to a new CA before retiring it', retire_ca.fingerprint using errcode = 'VS070';
  end if;
  update vidsync.project_cas c set retired_at = coalesce(c.retired_at, pg_catalog.now())
   where c.fingerprint = retire_ca.fingerprint
   returning c.retired_at into retired_at;
  return next;
end
$$;
revoke all on function vidsync_api.retire_ca(uuid, text) from public, anon, authenticated, service_role;
grant execute on function vidsync_api.retire_ca(uuid, text) to authenticated, service_role;
