-- A project's CAs, whoever stores them:
--  * at most vidsync.max_trusted_cas() trusted (unexpired) at once: every
--    bundle carries them all in ca.crt, and the SDK refuses a bundle of more
--    than 32 CAs or 64 KiB of PEM (VS031, too_many_cas);
--  * none valid only in the future, beyond the devices' clock skew (VS032);
--  * none valid for longer than vidsync.settings.max_ca_lifetime (VS033);
--  * a CA PEM of at most 4 KiB (MAX_CA_PEM_CHARS, a constraint of the table).
-- The nebula function checks the same before it stores an imported CA, and
-- also that the CA is limited to the project's subnet (nebula/ca.ts).

-- Trusted CAs per project: MAX_TRUSTED_CAS of supabase/functions/_shared/limits.ts.
create function vidsync.max_trusted_cas() returns integer
  language sql immutable parallel safe
  set search_path = ''
as $$
  select 8
$$;

alter table vidsync.settings
  add column max_ca_lifetime interval not null default '10 years'
    constraint settings_max_ca_lifetime_range check (max_ca_lifetime between interval '1 day' and interval '100 years');

create function vidsync.project_cas_limits() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  trusted integer;
begin
  -- Imports into one project, one at a time, so that two cannot both take
  -- the last place. No key update: registrations (which only hold key-share
  -- locks on the project through their foreign keys) do not wait.
  perform 1 from vidsync.projects p where p.id = new.project_id for no key update;
  -- The devices' clock skew allowance (ca.ts CLOCK_SKEW_SECONDS).
  if new.not_before > pg_catalog.clock_timestamp() + interval '5 minutes' then
    raise exception 'the CA is not valid before %', new.not_before using errcode = 'VS032';
  end if;
  if new.not_after - new.not_before > (select s.max_ca_lifetime from vidsync.settings s) then
    raise exception 'the CA is valid for longer than this deployment allows (vidsync.settings.max_ca_lifetime)' using errcode = 'VS033';
  end if;
  select pg_catalog.count(*) into trusted
    from vidsync.project_cas c where c.project_id = new.project_id and c.not_after > pg_catalog.now();
  if trusted >= vidsync.max_trusted_cas() then
    raise exception 'project % already trusts % CAs, the most a bundle may carry; wait for one to expire', new.project_id, trusted
      using errcode = 'VS031';
  end if;
  return new;
end
$$;
create trigger project_cas_limits
  before insert on vidsync.project_cas
  for each row execute function vidsync.project_cas_limits();

revoke all on function vidsync.max_trusted_cas(), vidsync.project_cas_limits() from public, anon, authenticated, service_role;
grant execute on function vidsync.max_trusted_cas() to authenticated, service_role;
