-- Roles, owner transfer and project deletion (issue 12, sections 2 and 3).
-- The HTTP routes (supabase/functions/nebula/routes/members.ts, projects.ts)
-- call these; the SQL editor may too.
--
-- Errors, each its own SQLSTATE:
--   VS055 project_name_mismatch  DELETE /projects/:id: the confirmation is not the project's name
-- and as elsewhere VS003 (unknown project or member, or not a member), VS004
-- (a member who may not), VS005 (a value out of bounds), VS054 (last owner).
--
-- Owner transfer is a role change: an owner makes another member an owner
-- (set_member_role … 'owner'), then demotes themself or leaves. In between
-- the project has two owners, a safe state. `vidsync.projects.owner_id` (the
-- project's quota holder and the `ownerId` of the API) follows: when its
-- user stops being an owner, it moves to the longest-standing other owner.
--
-- Deleting a project erases its row, and with it (foreign keys, on delete
-- cascade) its members, devices, pool, allocation history, issued
-- certificates, invites and CAs, the sealed CA keys with them. Kept:
--   * the audit log (no foreign key: it outlives what it names), plus a
--     `project.delete` row written by the function;
--   * a tombstone, vidsync.deleted_projects, and the CA certificates
--     without their keys, vidsync.deleted_project_cas, so an auditor can
--     still tell which certificates the project's CAs signed;
--   * the subnet, held in vidsync.user_subnets for the owner and every
--     member who had devices, until the last certificate the project issued
--     expires (held_until; at most the cooling interval, since no host
--     certificate outlives it). A device still running with such a
--     certificate would route that subnet: none of its users may create or
--     join an overlapping project before then (409 subnet_overlap /
--     subnet_conflict, as for a live project). Other users' projects may
--     overlap it, as they may overlap any project.

-- Roles -----------------------------------------------------------------------------

-- Owners and admins change a member's role. Only an owner makes or unmakes
-- an owner (an admin cannot demote an owner nor promote anyone to owner);
-- the last owner cannot be demoted (VS054). Every membership row of the
-- project is locked first, as remove_member does: two owners demoting each
-- other cannot both succeed.
create function vidsync_api.set_member_role(project uuid, user_id uuid, role text)
  returns table (new_role text, previous_role text)
  language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := auth.uid();
  caller_role text;
  target_role text;
begin
  perform vidsync.require_project_role(set_member_role.project, caller, array['owner', 'admin']);
  if set_member_role.role is null or set_member_role.role not in ('owner', 'admin', 'member') then
    raise exception 'a member''s role is owner, admin or member' using errcode = 'VS005';
  end if;
  perform 1 from vidsync.project_members m where m.project_id = set_member_role.project for update;
  -- Checked again under the lock: the caller may have been demoted meanwhile.
  caller_role := vidsync.require_project_role(set_member_role.project, caller, array['owner', 'admin']);
  select m.role into target_role from vidsync.project_members m
   where m.project_id = set_member_role.project and m.user_id = set_member_role.user_id;
  if not found then
    raise exception 'user % is not a member of project %', set_member_role.user_id, set_member_role.project using errcode = 'VS003';
  end if;
  if (target_role = 'owner' or set_member_role.role = 'owner') and caller_role <> 'owner' then
    raise exception 'only an owner makes or unmakes an owner' using errcode = 'VS004';
  end if;
  if target_role = 'owner' and set_member_role.role <> 'owner' then
    perform vidsync.require_other_owner(set_member_role.project, 'be demoted');
  end if;
  if target_role is distinct from set_member_role.role then
    update vidsync.project_members m set role = set_member_role.role
     where m.project_id = set_member_role.project and m.user_id = set_member_role.user_id;
  end if;
  new_role := set_member_role.role;
  previous_role := target_role;
  return next;
end
$$;

-- projects.owner_id names an owner: when its user is demoted or leaves, the
-- longest-standing other owner takes the place (set_member_role and
-- remove_member keep at least one owner). Not during the project's own
-- deletion, when its row is already gone.
create function vidsync.project_owner_follows() returns trigger
  language plpgsql security definer set search_path = '' as $$
declare
  successor uuid;
begin
  if tg_op = 'UPDATE' and new.role = 'owner' then
    return null;
  end if;
  if not exists (select 1 from vidsync.projects p where p.id = old.project_id and p.owner_id = old.user_id) then
    return null;
  end if;
  select m.user_id into successor from vidsync.project_members m
   where m.project_id = old.project_id and m.role = 'owner' and m.user_id <> old.user_id
   order by m.created_at, m.user_id
   limit 1;
  if successor is not null then
    update vidsync.projects p set owner_id = successor where p.id = old.project_id;
  end if;
  return null;
end
$$;
create trigger project_members_owner_follows
  after update of role or delete on vidsync.project_members
  for each row execute function vidsync.project_owner_follows();

-- Deleting a project ------------------------------------------------------------------

create table vidsync.deleted_projects (
  id uuid primary key,
  name text not null,
  subnet cidr not null,
  owner_id uuid,
  created_at timestamptz not null,
  deleted_at timestamptz not null default now(),
  -- The user who deleted it; null for the SQL editor or the service role.
  deleted_by uuid,
  -- Until then its subnet stays with its users (vidsync.user_subnets.held_until).
  subnet_held_until timestamptz not null,
  devices integer not null,
  members integer not null
);
comment on table vidsync.deleted_projects is
  'Tombstones of deleted projects: what the audit log''s project ids referred to.';

create table vidsync.deleted_project_cas (
  fingerprint text primary key,
  project_id uuid not null references vidsync.deleted_projects (id) on delete cascade,
  -- The certificate only: the sealed private key was erased with the project.
  certificate_pem text not null,
  not_before timestamptz not null,
  not_after timestamptz not null,
  source text not null,
  created_at timestamptz not null
);
create index deleted_project_cas_project_id_idx on vidsync.deleted_project_cas (project_id);

alter table vidsync.deleted_projects enable row level security;
alter table vidsync.deleted_project_cas enable row level security;
-- No policy: read in the SQL editor (postgres) or by the service role only.
revoke all on vidsync.deleted_projects, vidsync.deleted_project_cas from public, anon, authenticated;
grant select on vidsync.deleted_projects, vidsync.deleted_project_cas to service_role;

-- A deleted project's subnet outlives its row in user_subnets, until held_until.
alter table vidsync.user_subnets drop constraint user_subnets_project_id_fkey;
alter table vidsync.user_subnets add column held_until timestamptz;
comment on column vidsync.user_subnets.held_until is
  'Set when the project was deleted: its subnet stays this user''s until then (its last certificate''s expiry). Null for a live project.';

-- A user's held subnets whose time is up leave when the user claims an
-- overlapping subnet, so the exclusion constraint does not refuse it.
create function vidsync.release_expired_subnet_holds() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  delete from vidsync.user_subnets u
   where u.user_id = new.user_id and u.held_until is not null and u.held_until <= pg_catalog.now()
     and u.subnet && new.subnet;
  return new;
end
$$;
create trigger user_subnets_release_expired_holds
  before insert on vidsync.user_subnets
  for each row execute function vidsync.release_expired_subnet_holds();

-- The owner (or the SQL editor) deletes a project, naming it as
-- confirmation (VS055 otherwise). One transaction: the project's row is
-- locked first (registrations and CA imports, which lock it in key-share
-- mode through their foreign keys, wait and then find it gone), its
-- subnet is held for its users, a tombstone and the CA certificates are
-- kept, and the row goes with everything that hangs on it.
create function vidsync_api.delete_project(project uuid, confirm_name text)
  returns table (project_id uuid, name text, subnet cidr, revoked_devices integer, revoked_certificates integer,
                 revoked_invites integer, subnet_held_until timestamptz)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict use_variable
declare
  p vidsync.projects;
  held timestamptz;
begin
  perform vidsync.require_project_role(delete_project.project, auth.uid(), array['owner']);
  select * into p from vidsync.projects x where x.id = delete_project.project for update;
  if not found then
    raise exception 'project % not found', delete_project.project using errcode = 'VS003';
  end if;
  if delete_project.confirm_name is null or pg_catalog.btrim(delete_project.confirm_name) <> p.name then
    raise exception 'to delete project %, confirm with its name', delete_project.project using errcode = 'VS055';
  end if;

  select pg_catalog.count(*)::integer into revoked_devices
    from vidsync.devices d where d.project_id = p.id and d.revoked_at is null and d.overlay_ip is not null;
  select pg_catalog.count(*)::integer into revoked_certificates
    from vidsync.issued_certificates c where c.project_id = p.id and c.revoked_at is null and c.not_after > pg_catalog.now();
  -- Revoked ones count too: once the project is gone, no peer receives its blocklist.
  select greatest(pg_catalog.now(), pg_catalog.max(c.not_after)) into held
    from vidsync.issued_certificates c where c.project_id = p.id;
  select pg_catalog.count(*)::integer into revoked_invites
    from vidsync.project_invites i
   where i.project_id = p.id and i.revoked_at is null and i.expires_at > pg_catalog.now() and i.uses < i.max_uses;

  insert into vidsync.deleted_projects (id, name, subnet, owner_id, created_at, deleted_by, subnet_held_until, devices, members)
  values (p.id, p.name, p.subnet, p.owner_id, p.created_at, auth.uid(), held,
          (select pg_catalog.count(*)::integer from vidsync.devices d where d.project_id = p.id),
          (select pg_catalog.count(*)::integer from vidsync.project_members m where m.project_id = p.id));
  insert into vidsync.deleted_project_cas (fingerprint, project_id, certificate_pem, not_before, not_after, source, created_at)
  select c.fingerprint, p.id, c.certificate_pem, c.not_before, c.not_after, c.source, c.created_at
    from vidsync.project_cas c where c.project_id = p.id;

  if held > pg_catalog.now() then
    update vidsync.user_subnets u set held_until = held where u.project_id = p.id;
  else
    delete from vidsync.user_subnets u where u.project_id = p.id;
  end if;

  -- Devices, pool, history, certificates, invites, members, CAs and their sealed keys.
  delete from vidsync.projects x where x.id = p.id;

  project_id := p.id;
  name := p.name;
  subnet := p.subnet;
  subnet_held_until := held;
  return next;
end
$$;

revoke all on function
  vidsync_api.set_member_role(uuid, uuid, text),
  vidsync_api.delete_project(uuid, text)
  from public, anon, authenticated, service_role;
grant execute on function
  vidsync_api.set_member_role(uuid, uuid, text),
  vidsync_api.delete_project(uuid, text)
  to authenticated, service_role;
revoke all on function vidsync.project_owner_follows(), vidsync.release_expired_subnet_holds() from public, anon, authenticated, service_role;
