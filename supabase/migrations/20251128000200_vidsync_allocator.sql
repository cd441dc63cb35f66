-- The IP allocator's core, in the private schema and granted to no API role:
-- the public functions (next migration) check who is calling, then call
-- these. Every invariant is held by a constraint or a row lock:
--   * one live allocation per address and per device: the unique indexes on
--     vidsync.ip_pool (device_id) and vidsync.ip_allocations (live rows);
--   * idempotency under concurrency: the device row is locked first, so two
--     requests for one device run one after the other and the second finds
--     the first's address;
--   * cooling: a released row keeps reusable_after = release + cooling
--     interval and is only picked once that time has passed;
--   * constant cost, even right after a pool fills up: see vidsync.allocate_ip.
-- Errors carry SQLSTATEs of class VS (mapped in supabase/functions/_shared/errors.ts):
--   VS001 pool exhausted, VS002 subnet overlap, VS003 not found,
--   VS004 forbidden, VS005 invalid input, VS006 conflict.

-- Identity ------------------------------------------------------------------

-- True for callers that already bypass RLS and so may act for any user: the
-- service role, and a direct session of a superuser or BYPASSRLS role such as
-- `postgres` in the SQL editor. The `role` setting is the one SET ROLE chose
-- ('none' when never set, then the session user counts); a security definer
-- function changes current_user but not this setting, so it names the caller.
create function vidsync.caller_is_privileged() returns boolean
  language sql stable
  set search_path = ''
as $$
  select coalesce((
    select r.rolsuper or r.rolbypassrls
    from pg_catalog.pg_roles r
    where r.rolname = case pg_catalog.current_setting('role')
                        when 'none' then session_user::text
                        else pg_catalog.current_setting('role')
                      end
  ), false)
$$;

-- The caller's role in a project, or null.
create function vidsync.member_role(project_id uuid, user_id uuid) returns text
  language sql stable
  set search_path = ''
as $$
  select m.role from vidsync.project_members m
  where m.project_id = member_role.project_id and m.user_id = member_role.user_id
$$;

-- For RLS policies: is the current user a member (of at least this rank)?
-- Security definer so that policies on project_members do not recurse.
create function vidsync.is_project_member(project_id uuid, roles text[] default array['owner', 'admin', 'member'])
  returns boolean
  language sql stable
  security definer
  set search_path = ''
as $$
  select exists (
    select 1 from vidsync.project_members m
    where m.project_id = is_project_member.project_id
      and m.user_id = (select auth.uid())
      and m.role = any (is_project_member.roles)
  )
$$;

-- Raises VS003 when the project does not exist, VS004 unless the privileged
-- caller or `user_id` holds one of `roles` in it.
create function vidsync.require_project_role(project_id uuid, user_id uuid, roles text[]) returns void
  language plpgsql stable
  set search_path = ''
as $$
begin
  if not exists (select 1 from vidsync.projects p where p.id = require_project_role.project_id) then
    raise exception 'project % not found', require_project_role.project_id using errcode = 'VS003';
  end if;
  if vidsync.caller_is_privileged() then
    return;
  end if;
  if require_project_role.user_id is null
     or coalesce(vidsync.member_role(require_project_role.project_id, require_project_role.user_id) <> all (require_project_role.roles), true) then
    raise exception 'requires role % in project %', pg_catalog.array_to_string(require_project_role.roles, ' or '), require_project_role.project_id
      using errcode = 'VS004';
  end if;
end
$$;

-- Subnets ---------------------------------------------------------------------

-- IPv4, between /16 (65,534 hosts: the pool is one row per host, and a /16
-- populates in well under a second) and /30 (2 hosts).
create function vidsync.validate_subnet(subnet cidr) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if validate_subnet.subnet is null then
    raise exception 'a subnet is required' using errcode = 'VS005';
  end if;
  if pg_catalog.family(validate_subnet.subnet) <> 4 then
    raise exception 'only IPv4 subnets are supported: %', validate_subnet.subnet using errcode = 'VS005';
  end if;
  if pg_catalog.masklen(validate_subnet.subnet) not between 16 and 30 then
    raise exception 'subnet % must be between /16 and /30', validate_subnet.subnet using errcode = 'VS005';
  end if;
end
$$;

-- The first block of the configured size in the supernet that overlaps no
-- project, or null. Each probe is an index lookup on the exclusion
-- constraint's gist index. Callers serialise on an advisory lock (see
-- create_project) and still rely on the exclusion constraint.
create function vidsync.first_free_subnet() returns cidr
  language sql stable
  set search_path = ''
as $$
  select c.candidate
  from vidsync.settings s
  cross join lateral pg_catalog.generate_series(0::bigint, (2::bigint ^ (s.project_prefix - pg_catalog.masklen(s.supernet)))::bigint - 1) as g(n)
  cross join lateral (
    select pg_catalog.set_masklen(
             pg_catalog.set_masklen(s.supernet::inet, 32) + g.n * (2::bigint ^ (32 - s.project_prefix))::bigint,
             s.project_prefix)::cidr as candidate
  ) c
  where not exists (select 1 from vidsync.projects p where p.subnet && c.candidate)
  order by g.n
  limit 1
$$;

-- The pool ---------------------------------------------------------------------

-- Adds every host address of `pool` (which must lie inside the project's
-- subnet) except the subnet's network and broadcast addresses. Idempotent:
-- existing rows, free or not, are left as they are. One set-based insert, so
-- a /16 takes well under a second. Returns the number of rows added.
create function vidsync.populate_pool(project_id uuid, pool cidr) returns integer
  language plpgsql
  set search_path = ''
as $$
declare
  project_subnet cidr;
  added integer;
begin
  perform vidsync.validate_subnet(populate_pool.pool);
  select p.subnet into project_subnet from vidsync.projects p where p.id = populate_pool.project_id;
  if project_subnet is null then
    raise exception 'project % not found', populate_pool.project_id using errcode = 'VS003';
  end if;
  if not populate_pool.pool <<= project_subnet then
    raise exception 'pool % is not inside the project subnet %', populate_pool.pool, project_subnet using errcode = 'VS005';
  end if;

  insert into vidsync.ip_pool (project_id, ip)
  select populate_pool.project_id, a.ip
  from pg_catalog.generate_series(0::bigint, (2::bigint ^ (32 - pg_catalog.masklen(populate_pool.pool)))::bigint - 1) as g(n)
  cross join lateral (select pg_catalog.set_masklen(populate_pool.pool::inet, 32) + g.n as ip) a
  where a.ip <> pg_catalog.set_masklen(project_subnet::inet, 32)
    and a.ip <> pg_catalog.set_masklen(pg_catalog.broadcast(project_subnet), 32)
  on conflict do nothing;
  get diagnostics added = row_count;
  return added;
end
$$;

-- Allocation ----------------------------------------------------------------

-- Returns the device's live address, allocating one if it has none.
--
-- Constant cost: an allocation costs the same in an empty pool, a 99 % full
-- one and one that has just filled up. Free rows are exactly the rows of the
-- partial index ip_pool_free_addresses, ordered (reusable_after, ip), and
-- addresses are handed out from its front. Each allocation leaves its entry
-- there dead until vacuum removes it, so a plain "first free row" scan right
-- after a pool fills up would step over tens of thousands of dead entries
-- (2x the cost of an empty pool in scripts/bench/allocator.ts). Instead the
-- scan for never-used addresses starts above the highest address taken,
-- found in O(1) at the end of ip_pool_taken_addresses, where the free index
-- holds only live entries. Order of preference:
--   1. never-used addresses ('-infinity') above the highest taken one, lowest first;
--   2. released addresses whose cooling has ended, longest cooled first
--      (their index range starts after the never-used ones, so the dead
--      entries of first-pass allocations are not in the way either); if the
--      first of them is still cooling, so is every later one;
--   3. never-used addresses below it (holes left by rolled-back
--      allocations), the only step that may scan dead entries.
-- When none of the three finds a row the pool is exhausted for now and VS001
-- is raised at once: no scan over allocated or cooling rows, no retry loop.
--
-- SKIP LOCKED semantics: concurrent allocators never wait for each other;
-- each takes the first row nobody else holds. The price is that VS001 means
-- "no free address that is not being claimed right now": when the last free
-- addresses are held by transactions that later roll back, a request may
-- see VS001 although a retry would succeed. Waiting on those locks instead
-- would make exhaustion slow under load, which is worse for callers.
create function vidsync.allocate_ip(project_id uuid, device_id uuid, allocated_by uuid) returns inet
  language plpgsql
  set search_path = ''
as $$
declare
  device_project uuid;
  highest_taken inet;
  candidate inet;
  next_reusable timestamptz;
  existing inet;
begin
  -- Lock the device first: allocations for one device are serialised.
  select d.project_id into device_project
  from vidsync.devices d where d.id = allocate_ip.device_id
  for update;
  if not found then
    raise exception 'device % not found', allocate_ip.device_id using errcode = 'VS003';
  end if;
  if device_project <> allocate_ip.project_id then
    raise exception 'device % belongs to another project', allocate_ip.device_id using errcode = 'VS006';
  end if;

  select p.ip into existing from vidsync.ip_pool p where p.device_id = allocate_ip.device_id;
  if existing is not null then
    return existing;
  end if;

  select max(p.ip) into highest_taken
  from vidsync.ip_pool p
  where p.project_id = allocate_ip.project_id and p.device_id is not null;

  -- 1. Never used, above the highest taken address.
  select p.ip into candidate
  from vidsync.ip_pool p
  where p.project_id = allocate_ip.project_id and p.device_id is null
    and p.reusable_after = '-infinity' and p.ip > coalesce(highest_taken, '0.0.0.0'::inet)
  order by p.reusable_after, p.ip
  limit 1
  for update skip locked;

  -- 2. Released and cooled down.
  if candidate is null then
    select p.ip, p.reusable_after into candidate, next_reusable
    from vidsync.ip_pool p
    where p.project_id = allocate_ip.project_id and p.device_id is null
      and p.reusable_after > '-infinity'
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
    if next_reusable > pg_catalog.now() then
      candidate := null; -- still cooling, and so is every later one
    end if;
  end if;

  -- 3. Never used, below the highest taken address.
  if candidate is null then
    select p.ip into candidate
    from vidsync.ip_pool p
    where p.project_id = allocate_ip.project_id and p.device_id is null
      and p.reusable_after = '-infinity'
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
  end if;

  if candidate is null then
    raise exception 'address pool of project % is exhausted', allocate_ip.project_id
      using errcode = 'VS001',
            hint = case when next_reusable is null then 'every address is allocated'
                        else 'the next address is reusable after ' || next_reusable::text end;
  end if;

  update vidsync.ip_pool p set device_id = allocate_ip.device_id
  where p.project_id = allocate_ip.project_id and p.ip = candidate;
  insert into vidsync.ip_allocations (project_id, ip, device_id, allocated_by)
  values (allocate_ip.project_id, candidate, allocate_ip.device_id, allocate_ip.allocated_by);
  update vidsync.devices d set overlay_ip = candidate, updated_at = pg_catalog.now()
  where d.id = allocate_ip.device_id;
  return candidate;
end
$$;

-- Releases the device's live address: it cools until now() + the cooling
-- interval before anyone gets it again. Releasing a device that holds no
-- address is a no-op returning false, so a retried release is harmless; an
-- unknown device is VS003.
create function vidsync.release_ip(device_id uuid, released_by uuid, reason text) returns boolean
  language plpgsql
  set search_path = ''
as $$
declare
  released inet;
  cooling interval;
begin
  perform 1 from vidsync.devices d where d.id = release_ip.device_id for update;
  if not found then
    raise exception 'device % not found', release_ip.device_id using errcode = 'VS003';
  end if;
  select s.cooling_interval into cooling from vidsync.settings s;

  update vidsync.ip_pool p
  set device_id = null, reusable_after = pg_catalog.now() + cooling
  where p.device_id = release_ip.device_id
  returning p.ip into released;
  if released is null then
    return false;
  end if;

  update vidsync.ip_allocations a
  set released_at = pg_catalog.now(), released_by = release_ip.released_by, release_reason = release_ip.reason
  where a.device_id = release_ip.device_id and a.released_at is null;
  update vidsync.devices d set overlay_ip = null, updated_at = pg_catalog.now()
  where d.id = release_ip.device_id;
  return true;
end
$$;

-- Nothing here is callable through the API roles; policies get the two
-- membership helpers (next migration).
revoke all on all functions in schema vidsync from public;
