-- The callable API and the row-level security of the tables.
--
-- The steps of a request live in `vidsync_api`, a schema the Data API does
-- not expose. On a hosted project PostgREST exposes `public` (and
-- `graphql_public`): any function there that `authenticated` may execute is
-- callable by every signed-in user at /rest/v1/rpc/<name>, with no edge
-- function in between; called that way, create_project would make a project
-- without a CA, and register_device would hand out addresses with no
-- certificate and no key check. These functions are steps of a request that
-- only the `nebula` function completes (it signs, records the certificate
-- and builds the bundle in the same transaction). Never add `vidsync_api` to
-- the project's exposed schemas. What stays in `public` is read-only and
-- checks membership itself, so any signed-in user may call it directly.
--
-- Who calls them: the function (as the caller's role, `authenticated` or
-- `service_role`, inside the request's transaction) and people in the SQL
-- editor (`postgres`). Identity is PostgREST's: inside a transaction the caller runs
--   select set_config('request.jwt.claims', '{"sub": "…", "role": "authenticated"}', true);
--   set local role authenticated;   -- or anon / service_role
-- and these functions read auth.uid(). The service role, and a direct session
-- of postgres (the SQL editor), may act for any user (vidsync.caller_is_privileged).
-- Every function is security definer with an empty search_path and fully
-- qualified names, checks the caller itself, and raises coded errors
-- (VS001…VS006, see the allocator migration). anon may call none of them.

create schema vidsync_api;
comment on schema vidsync_api is
  'VidSync''s SQL API for the nebula function and the SQL editor. Not exposed by the Data API: keep it out of the exposed schemas.';
revoke all on schema vidsync_api from public;
grant usage on schema vidsync_api to authenticated, service_role;
-- New functions in vidsync_api are not executable by anyone until granted.
alter default privileges in schema vidsync_api revoke execute on functions from public;

-- Projects ----------------------------------------------------------------------

-- The user a request acts for: `owner_id` when given, else the calling user.
-- Only a privileged caller may name another user (VS004: "only the service
-- role may <what> for another user"); with no user at all it is VS005 for a
-- privileged caller (name one) and VS004 for anyone else. Shared by
-- create_project and register_device.
create function vidsync.acting_user(owner_id uuid, what text) returns uuid
  language plpgsql stable set search_path = '' as $$
declare
  actor uuid := auth.uid();
begin
  if acting_user.owner_id is not null and acting_user.owner_id is distinct from actor and not vidsync.caller_is_privileged() then
    raise exception 'only the service role may % for another user', acting_user.what using errcode = 'VS004';
  end if;
  if coalesce(acting_user.owner_id, actor) is null then
    if vidsync.caller_is_privileged() then
      raise exception 'owner_id is required when no user is calling' using errcode = 'VS005';
    end if;
    raise exception 'no user is calling' using errcode = 'VS004';
  end if;
  return coalesce(acting_user.owner_id, actor);
end
$$;

-- Creates a project owned by the caller (or, for a privileged caller, by
-- `owner_id`), with `subnet` (a private range the settings allow, not
-- overlapping the owner's other projects: VS002) or else a random free block
-- (vidsync.free_subnet_for), and writes the first chunk of its pool.
-- Creations serialise per owner only (an advisory lock on the owner's id,
-- held until commit): the owner's quota and subnets are then counted
-- exactly, and two of one owner's overlapping inserts never deadlock in the
-- exclusion constraint. Different owners never wait for each other.
create function vidsync_api.create_project(name text, subnet cidr default null, owner_id uuid default null)
  returns vidsync.projects
  language plpgsql security definer set search_path = '' as $$
declare
  owner uuid;
  created vidsync.projects;
  chosen cidr;
  quota integer;
  owned integer;
begin
  owner := vidsync.acting_user(create_project.owner_id, 'create a project');
  if not exists (select 1 from auth.users u where u.id = owner) then
    raise exception 'user % not found', owner using errcode = 'VS003';
  end if;
  if create_project.name is null or pg_catalog.length(pg_catalog.btrim(create_project.name)) not between 1 and 100 then
    raise exception 'a project name has 1 to 100 characters' using errcode = 'VS005';
  end if;
  if create_project.subnet is not null then
    perform vidsync.check_subnet_policy(create_project.subnet);
  end if;

  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vidsync.projects of ' || owner::text, 0));

  select s.max_projects_per_user into quota from vidsync.settings s;
  select pg_catalog.count(*)::integer into owned from vidsync.projects p where p.owner_id = owner;
  if owned >= quota then
    raise exception 'user % already owns % projects (the quota per user)', owner, quota using errcode = 'VS011';
  end if;

  chosen := create_project.subnet;
  if chosen is null then
    chosen := vidsync.free_subnet_for(owner);
    if chosen is null then
      raise exception 'no free subnet left for this user in the automatic range' using errcode = 'VS001';
    end if;
  end if;
  begin
    -- The trigger on projects records the owner's subnet: an overlap with
    -- the owner's own projects violates vidsync.user_subnets_disjoint.
    insert into vidsync.projects (name, owner_id, subnet)
    values (pg_catalog.btrim(create_project.name), owner, chosen)
    returning * into created;
  exception when exclusion_violation then
    -- A deleted project's subnet stays held while its certificates live (vidsync.user_subnets.held_until).
    raise exception 'subnet % overlaps another of this user''s projects (or a deleted one whose certificates have not expired yet)', chosen using errcode = 'VS002';
  end;

  insert into vidsync.project_members (project_id, user_id, role) values (created.id, owner, 'owner');
  perform vidsync.populate_pool_chunk(created.id, created.subnet, 0);
  return created;
end
$$;

-- Adds a member or changes a member's role (owner or admin only). The owner's
-- own role cannot be changed here.
create function vidsync_api.add_project_member(project uuid, user_id uuid, role text) returns void
  language plpgsql security definer set search_path = '' as $$
begin
  perform vidsync.require_project_role(add_project_member.project, auth.uid(), array['owner', 'admin']);
  if add_project_member.role is null or add_project_member.role not in ('admin', 'member') then
    raise exception 'role must be admin or member, not %', add_project_member.role using errcode = 'VS005';
  end if;
  if not exists (select 1 from auth.users u where u.id = add_project_member.user_id) then
    raise exception 'user % not found', add_project_member.user_id using errcode = 'VS003';
  end if;
  if exists (select 1 from vidsync.projects p where p.id = add_project_member.project and p.owner_id = add_project_member.user_id) then
    raise exception 'the project owner''s role cannot change' using errcode = 'VS006';
  end if;
  insert into vidsync.project_members as m (project_id, user_id, role)
  values (add_project_member.project, add_project_member.user_id, add_project_member.role)
  on conflict on constraint project_members_pkey do update set role = excluded.role;
end
$$;

-- Adds the host addresses of `cidr` (inside the project's subnet) to the
-- pool; idempotent. Owner or admin only. Returns the number of addresses added.
create function vidsync_api.populate_project_pool(project uuid, cidr cidr) returns integer
  language plpgsql security definer set search_path = '' as $$
begin
  perform vidsync.require_project_role(populate_project_pool.project, auth.uid(), array['owner', 'admin']);
  return vidsync.populate_pool(populate_project_pool.project, populate_project_pool.cidr);
end
$$;

-- Devices -----------------------------------------------------------------------

-- Registers (or re-registers) a device of the caller in a project and
-- returns its overlay address: `ip` is the host address, `subnet` the
-- project's network, so the certificate names host(ip)/masklen(subnet).
-- Re-registering updates name, key and lighthouse data and keeps the
-- address. Lighthouses need the owner or admin role. A privileged caller
-- names the device's user with `owner_id`. Not a member of the project is
-- VS003 like an unknown project; a device id of another member of the same
-- project is VS004 (the caller sees that device); a device id in a project
-- the caller cannot see is VS003 (only a privileged caller, who sees
-- everything, hears VS006). The name is checked as display text.
create function vidsync_api.register_device(
  project uuid,
  device uuid,
  name text,
  public_key text,
  is_lighthouse boolean default false,
  lighthouse_endpoints text[] default '{}',
  syncthing_device_id text default null,
  owner_id uuid default null
) returns table (device_id uuid, ip inet, subnet cidr)
  language plpgsql security definer set search_path = '' as $$
#variable_conflict error
declare
  actor uuid := auth.uid();
  -- Asked only where it matters (a catalog lookup): a user registering
  -- their own, non-lighthouse device never needs it.
  device_owner uuid;
  owner_role text;
  endpoint text;
  existing_project uuid;
  candidate inet;
begin
  device_owner := vidsync.acting_user(register_device.owner_id, 'register a device');
  -- Key share on the project before any pool row is locked: a deletion of
  -- the project (vidsync_api.delete_project, FOR UPDATE, then the cascade
  -- into the pool) then waits for this registration, or this one waits for
  -- it and finds no project. Without it, a registration holding a pool row
  -- and a deletion holding the project each waited for the other (deadlock).
  select p.subnet into subnet from vidsync.projects p where p.id = register_device.project for key share;
  owner_role := vidsync.member_role(register_device.project, device_owner);
  if subnet is null or owner_role is null then
    raise exception 'project % not found', register_device.project using errcode = 'VS003';
  end if;

  if register_device.device is null then
    raise exception 'a device id is required' using errcode = 'VS005';
  end if;
  -- The rules of the devices table (and of supabase/functions/_shared), checked
  -- here first so that a caller hears which one failed.
  if not vidsync.is_display_text(register_device.name, 64) then
    raise exception 'a device name has 1 to 64 characters, none of them a control, bidirectional or invisible character'
      using errcode = 'VS005';
  end if;
  if register_device.public_key is null or pg_catalog.length(register_device.public_key) not between 1 and 1024 then
    raise exception 'a public key has 1 to 1024 characters' using errcode = 'VS005';
  end if;
  if coalesce(register_device.is_lighthouse, false) then
    if owner_role not in ('owner', 'admin') and not vidsync.caller_is_privileged() then
      raise exception 'only a project owner or admin may register a lighthouse' using errcode = 'VS004';
    end if;
    if coalesce(pg_catalog.cardinality(register_device.lighthouse_endpoints), 0) = 0 then
      raise exception 'a lighthouse needs at least one public endpoint (host:port)' using errcode = 'VS005';
    end if;
    if pg_catalog.cardinality(register_device.lighthouse_endpoints) > 8 then
      raise exception 'a lighthouse has at most 8 endpoints' using errcode = 'VS005';
    end if;
    foreach endpoint in array register_device.lighthouse_endpoints loop
      if not coalesce(vidsync.is_endpoint(endpoint), false) then
        raise exception 'not a host:port endpoint: %', pg_catalog.left(endpoint, 300) using errcode = 'VS005';
      end if;
    end loop;
  elsif coalesce(pg_catalog.cardinality(register_device.lighthouse_endpoints), 0) > 0 then
    raise exception 'only lighthouses have public endpoints' using errcode = 'VS005';
  end if;

  -- A new device: its address is chosen first and written with its row, one
  -- write of the row instead of two. Registrations of one device id take
  -- turns (an advisory lock on the id): a second one then finds the device
  -- and goes on as for a known device. Waiting at the insert is not enough:
  -- ON CONFLICT arbitrates the primary key only, and the row's other unique
  -- index (its live name) would fail first (23505) once ours committed.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vidsync.devices ' || register_device.device::text, 0));
  if not exists (select 1 from vidsync.devices x where x.id = register_device.device) then
    candidate := vidsync.free_ip(register_device.project);
    insert into vidsync.devices
      (id, project_id, owner_id, name, public_key, is_lighthouse, lighthouse_endpoints, syncthing_device_id, last_seen_at, overlay_ip)
    values
      (register_device.device, register_device.project, device_owner, vidsync.trim_display_text(register_device.name), register_device.public_key,
       coalesce(register_device.is_lighthouse, false), coalesce(register_device.lighthouse_endpoints, '{}'),
       register_device.syncthing_device_id, pg_catalog.now(), candidate)
    on conflict on constraint devices_pkey do nothing;
    if found then
      perform vidsync.assign_ip(register_device.project, register_device.device, candidate, actor);
      device_id := register_device.device;
      ip := candidate;
      return next;
      return;
    end if;
  end if;

  -- Update the existing row of the same user and project (or insert it,
  -- when it went away meanwhile).
  insert into vidsync.devices as d
    (id, project_id, owner_id, name, public_key, is_lighthouse, lighthouse_endpoints, syncthing_device_id, last_seen_at)
  values
    (register_device.device, register_device.project, device_owner, vidsync.trim_display_text(register_device.name), register_device.public_key,
     coalesce(register_device.is_lighthouse, false), coalesce(register_device.lighthouse_endpoints, '{}'),
     register_device.syncthing_device_id, pg_catalog.now())
  on conflict on constraint devices_pkey do update set
    name = excluded.name,
    public_key = excluded.public_key,
    is_lighthouse = excluded.is_lighthouse,
    lighthouse_endpoints = excluded.lighthouse_endpoints,
    -- A re-registration without an ID keeps the one set before (PUT /devices/:id/syncthing).
    syncthing_device_id = coalesce(excluded.syncthing_device_id, d.syncthing_device_id),
    last_seen_at = excluded.last_seen_at,
    updated_at = pg_catalog.now()
  where d.project_id = excluded.project_id and d.owner_id = excluded.owner_id;
  if not found then
    select x.project_id into existing_project from vidsync.devices x where x.id = register_device.device;
    if vidsync.caller_is_privileged() then
      raise exception 'device % is registered to another user or in another project', register_device.device using errcode = 'VS006';
    end if;
    if existing_project = register_device.project then
      raise exception 'device % belongs to another member of the project', register_device.device using errcode = 'VS004';
    end if;
    raise exception 'device % not found in project %', register_device.device, register_device.project using errcode = 'VS003';
  end if;

  device_id := register_device.device;
  ip := vidsync.allocate_ip(register_device.project, register_device.device, actor);
  return next;
end
$$;

-- The allocator ---------------------------------------------------------------

-- Returns the device's live address, allocating one if needed (idempotent).
-- The device must already be registered in `project`. `allocated_by` is
-- recorded in the history; only a privileged caller may name someone else.
create function vidsync_api.allocate_nebula_ip(project uuid, device uuid, allocated_by uuid default null) returns inet
  language plpgsql security definer set search_path = '' as $$
declare
  actor uuid := auth.uid();
  device_project uuid;
begin
  if allocate_nebula_ip.allocated_by is distinct from actor and allocate_nebula_ip.allocated_by is not null
     and not vidsync.caller_is_privileged() then
    raise exception 'allocated_by must be the calling user' using errcode = 'VS004';
  end if;
  device_project := vidsync.require_device_access(allocate_nebula_ip.device, actor, true);
  if device_project <> allocate_nebula_ip.project then
    raise exception 'device % belongs to another project', allocate_nebula_ip.device using errcode = 'VS006';
  end if;
  return vidsync.allocate_ip(allocate_nebula_ip.project, allocate_nebula_ip.device, coalesce(allocate_nebula_ip.allocated_by, actor));
end
$$;

-- Releases the device's address (device owner, project owner/admin, or
-- privileged) and revokes its certificates: peers refuse the old certificate
-- at once, not when it expires. The address cools for the configured
-- interval before reuse. A device without an address is a no-op; an unknown
-- device is VS003.
create function vidsync_api.release_nebula_ip(device uuid, reason text default null) returns void
  language plpgsql security definer set search_path = '' as $$
begin
  perform vidsync.require_device_access(release_nebula_ip.device, auth.uid(), true);
  -- Before its certificates' rows: a project deletion locks in that order too (lock_device).
  perform vidsync.lock_device(release_nebula_ip.device);
  perform vidsync.revoke_certificates(release_nebula_ip.device);
  perform vidsync.release_ip(release_nebula_ip.device, auth.uid(), release_nebula_ip.reason);
end
$$;

-- The device's live allocation: one row, or none when it holds no address.
create function public.get_device_allocation(device uuid)
  returns table (project_id uuid, device_id uuid, ip inet, subnet cidr, allocated_at timestamptz, allocated_by uuid)
  language plpgsql stable security definer set search_path = '' as $$
begin
  perform vidsync.require_device_access(get_device_allocation.device, auth.uid(), false);
  return query
    select a.project_id, a.device_id, a.ip, p.subnet, a.allocated_at, a.allocated_by
    from vidsync.ip_allocations a
    join vidsync.projects p on p.id = a.project_id
    where a.device_id = get_device_allocation.device and a.released_at is null;
end
$$;

-- Every live allocation of a project, by address (members only).
create function public.list_project_allocations(project uuid)
  returns table (device_id uuid, device_name text, owner_id uuid, is_lighthouse boolean, ip inet, allocated_at timestamptz, allocated_by uuid)
  language plpgsql stable security definer set search_path = '' as $$
begin
  perform vidsync.require_project_role(list_project_allocations.project, auth.uid(), array['owner', 'admin', 'member']);
  return query
    select d.id, d.name, d.owner_id, d.is_lighthouse, a.ip, a.allocated_at, a.allocated_by
    from vidsync.ip_allocations a
    join vidsync.devices d on d.id = a.device_id
    where a.project_id = list_project_allocations.project and a.released_at is null
    order by a.ip;
end
$$;

-- Pool statistics (members only). `total` is the subnet's host count, not
-- the rows written so far: unwritten addresses are free.
create function public.project_pool_stats(project uuid)
  returns table (total integer, used integer, free integer, cooling integer)
  language plpgsql stable security definer set search_path = '' as $$
declare
  hosts integer;
begin
  perform vidsync.require_project_role(project_pool_stats.project, auth.uid(), array['owner', 'admin', 'member']);
  select ((2::bigint ^ (32 - pg_catalog.masklen(p.subnet)))::bigint - 2)::integer into hosts
  from vidsync.projects p where p.id = project_pool_stats.project;
  return query
    select hosts,
           c.used,
           hosts - c.used - c.cooling,
           c.cooling
    from (
      select (pg_catalog.count(*) filter (where p.device_id is not null))::integer as used,
             (pg_catalog.count(*) filter (where p.device_id is null and p.reusable_after > pg_catalog.now()))::integer as cooling
      from vidsync.ip_pool p
      where p.project_id = project_pool_stats.project
    ) c;
end
$$;

-- Grants --------------------------------------------------------------------------

revoke all on all functions in schema vidsync_api from public, anon, authenticated, service_role;
grant execute on function
  vidsync_api.create_project(text, cidr, uuid),
  vidsync_api.add_project_member(uuid, uuid, text),
  vidsync_api.populate_project_pool(uuid, cidr),
  vidsync_api.register_device(uuid, uuid, text, text, boolean, text[], text, uuid),
  vidsync_api.allocate_nebula_ip(uuid, uuid, uuid),
  vidsync_api.release_nebula_ip(uuid, text)
to authenticated, service_role;

-- Supabase grants every new function in `public` to anon, authenticated and
-- service_role by default (and Postgres to PUBLIC): take that back, then
-- grant exactly what is meant.
revoke all on function public.get_device_allocation(uuid), public.list_project_allocations(uuid), public.project_pool_stats(uuid)
from public, anon, authenticated, service_role;
grant execute on function public.get_device_allocation(uuid), public.list_project_allocations(uuid), public.project_pool_stats(uuid)
to authenticated, service_role;

-- The private schema: readable by members through RLS, written only by the
-- functions above; the service role (BYPASSRLS) may do anything; anon nothing.
revoke all on all functions in schema vidsync from public;
revoke all on all tables in schema vidsync from public, anon, authenticated, service_role;
grant usage on schema vidsync to authenticated, service_role;
grant select on vidsync.projects, vidsync.project_members, vidsync.devices, vidsync.ip_pool, vidsync.ip_allocations
  to authenticated;
grant all on all tables in schema vidsync to service_role;
grant usage on all sequences in schema vidsync to service_role;
-- The policies call this as the querying user.
grant execute on function vidsync.is_project_member(uuid, text[]) to authenticated;
-- The devices table's endpoint check calls these as whoever writes the row.
grant execute on function vidsync.is_endpoint(text), vidsync.are_endpoints(text[]) to authenticated, service_role;

-- Row-level security ---------------------------------------------------------------

alter table vidsync.settings enable row level security;
alter table vidsync.projects enable row level security;
alter table vidsync.project_members enable row level security;
alter table vidsync.devices enable row level security;
alter table vidsync.ip_pool enable row level security;
alter table vidsync.ip_allocations enable row level security;

-- settings: no policy; only the service role and the SQL editor see it.

-- The one read rule of a project's tables: its members see its rows. One
-- policy per table, each named by a sentence.
do $$
declare
  t record;
begin
  for t in
    select * from (values
      ('projects',        'id',         'Projects are visible to their members'),
      ('project_members', 'project_id', 'Memberships are visible to members of the same project'),
      ('devices',         'project_id', 'Devices are visible to project members'),
      ('ip_pool',         'project_id', 'Pool addresses are visible to project members'),
      ('ip_allocations',  'project_id', 'Allocation history is visible to project members')
    ) as v(table_name, project_column, policy_name)
  loop
    execute pg_catalog.format('create policy %I on vidsync.%I for select to authenticated using (vidsync.is_project_member(%I))',
                              t.policy_name, t.table_name, t.project_column);
  end loop;
end
$$;
