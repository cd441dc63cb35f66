-- Certificate authorities and issued certificates (the `nebula` function).
--
-- Every project has its own Nebula CA, so a device of one project can never
-- complete a handshake with a device of another. The CA's private key is
-- stored only sealed (AES-256-GCM under the function's master key, bound to
-- the project id); no user role can read even the sealed form.

create table vidsync.project_cas (
  fingerprint text primary key check (fingerprint ~ '^[0-9a-f]{64}$'),
  project_id uuid not null references vidsync.projects (id) on delete cascade,
  -- MAX_CA_PEM_CHARS of supabase/functions/_shared/limits.ts.
  certificate_pem text not null constraint project_cas_certificate_pem_length check (pg_catalog.length(certificate_pem) <= 4096),
  sealed_private_key text not null,
  not_before timestamptz not null,
  not_after timestamptz not null check (not_after > not_before),
  -- The CA that signs new certificates. Inactive CAs stay trusted until they
  -- expire, so devices signed by them keep working during a rotation.
  active boolean not null default true,
  source text not null check (source in ('generated', 'imported')),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);
comment on column vidsync.project_cas.sealed_private_key is
  'v2.<master key id>.<iv>.<ciphertext> (older rows: v1.<iv>.<ciphertext>); see supabase/functions/_shared/secrets/ca-key-box.ts and scripts/ops/reseal-ca-keys.ts';
create unique index project_cas_one_active on vidsync.project_cas (project_id) where active;
create index project_cas_project_id_idx on vidsync.project_cas (project_id, not_after);

create table vidsync.issued_certificates (
  fingerprint text primary key check (fingerprint ~ '^[0-9a-f]{64}$'),
  project_id uuid not null references vidsync.projects (id) on delete cascade,
  device_id uuid not null references vidsync.devices (id) on delete cascade,
  ca_fingerprint text not null references vidsync.project_cas (fingerprint) on delete cascade,
  ip inet not null,
  not_before timestamptz not null,
  not_after timestamptz not null check (not_after > not_before),
  issued_by uuid references auth.users (id) on delete set null,
  issued_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index issued_certificates_device_idx on vidsync.issued_certificates (device_id, not_after desc);
create index issued_certificates_project_idx on vidsync.issued_certificates (project_id);

alter table vidsync.project_cas enable row level security;
alter table vidsync.issued_certificates enable row level security;

-- project_cas: no policy and no grant to users. Only the service role (which
-- bypasses RLS) reads it, inside the function, after the user-scoped checks.
revoke all on vidsync.project_cas from public, anon, authenticated;
grant select, insert, update on vidsync.project_cas to service_role;

revoke all on vidsync.issued_certificates from public, anon, authenticated;
grant select on vidsync.issued_certificates to authenticated;
grant select, insert, update on vidsync.issued_certificates to service_role;

-- Importing a CA ---------------------------------------------------------------

-- Raises VS003 when the caller cannot see the project (as RLS answers a
-- non-member: no hint that it exists) and VS004 unless the caller is an
-- owner or admin of it (or privileged): vidsync.require_project_role's rule.
-- The edge function calls it as the user before it reads the uploaded CA;
-- storing the CA is then done as service_role, which alone may touch
-- vidsync.project_cas.
create function vidsync.authorize_ca_import(project_id uuid) returns void
  language sql stable security definer set search_path = '' as $$
  select vidsync.require_project_role(authorize_ca_import.project_id, (select auth.uid()), array['owner', 'admin'])
$$;
revoke all on function vidsync.authorize_ca_import(uuid) from public, anon;
grant execute on function vidsync.authorize_ca_import(uuid) to authenticated, service_role;

create policy "Issued certificates are visible to project members"
  on vidsync.issued_certificates for select to authenticated
  using (vidsync.is_project_member(project_id));
