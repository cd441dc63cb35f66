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
  language sql immutable parallel safe set search_path = '' as $$
  select 8
$$;

alter table vidsync.settings
  add column max_ca_lifetime interval not null default '10 years'
    constraint settings_max_ca_lifetime_range check (max_ca_lifetime between interval '1 day' and interval '100 years');

-- The trigger that enforces these limits on every CA row (vidsync.project_cas_limits)
-- counts the CAs a project trusts by the rotation rule, so it is defined
-- with that rule, in 20251130100000_vidsync_ca_rotation.sql.

revoke all on function vidsync.max_trusted_cas() from public, anon, authenticated, service_role;
grant execute on function vidsync.max_trusted_cas() to authenticated, service_role;
