-- The IP allocator's core, in the private schema and granted to no API role:
-- the API functions (next migration) check who is calling, then call
-- these. Every invariant is held by a constraint or a row lock:
--   * one live allocation per address and per device: the unique indexes on
--     vidsync.ip_pool (device_id) and vidsync.ip_allocations (live rows);
--   * idempotency under concurrency: the device row is locked first, so two
--     requests for one device run one after the other and the second finds
--     the first's address;
--   * cooling: a released row keeps reusable_after = release + cooling
--     interval and is only picked once that time has passed;
--   * constant cost, even right after a pool fills up: see vidsync.allocate_ip;
--   * a pool written lazily, in chunks: see vidsync.populate_pool_chunk.
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
  language sql stable set search_path = '' as $$
  select coalesce((
    select r.rolsuper or r.rolbypassrls
    from pg_catalog.pg_roles r
    where r.rolname = case pg_catalog.current_setting('role')
                        when 'none' then session_user::text
                        else pg_catalog.current_setting('role')
                      end
  ), false)
$$;

-- The caller's role in a project, or null. PL/pgSQL, not SQL: every
-- request step asks it, and a SQL function with SET search_path is planned
-- again at each call, where PL/pgSQL keeps its plan for the session.
create function vidsync.member_role(project_id uuid, user_id uuid) returns text
  language plpgsql stable set search_path = '' as $$
begin
  return (select m.role from vidsync.project_members m
           where m.project_id = member_role.project_id and m.user_id = member_role.user_id);
end
$$;

-- For RLS policies: is the current user a member (of at least this rank)?
-- Security definer so that policies on project_members do not recurse.
create function vidsync.is_project_member(project_id uuid, roles text[] default array['owner', 'admin', 'member'])
  returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from vidsync.project_members m
    where m.project_id = is_project_member.project_id
      and m.user_id = (select auth.uid())
      and m.role = any (is_project_member.roles)
  )
$$;

-- Nothing tells a caller whether a project or device they may not see
-- exists. Not a member of the project is answered as not found (VS003),
-- exactly as an unknown id is; only a member, who may see the thing, hears
-- that they may not do this to it (VS004). Through the edge function: 404
-- not_found for the first, 403 forbidden for the second, on every route.

-- VS003 when the project does not exist or the caller is not a member (the
-- same answer: a non-member learns nothing), VS004 when a member lacks the role.
-- Returns the caller's role; a privileged caller's counts as 'owner'.
create function vidsync.require_project_role(project_id uuid, user_id uuid, roles text[]) returns text
  language plpgsql stable set search_path = '' as $$
declare
  caller_role text;
begin
  if vidsync.caller_is_privileged() then
    if not exists (select 1 from vidsync.projects p where p.id = require_project_role.project_id) then
      raise exception 'project % not found', require_project_role.project_id using errcode = 'VS003';
    end if;
    return 'owner';
  end if;
  caller_role := vidsync.member_role(require_project_role.project_id, require_project_role.user_id);
  if caller_role is null then
    raise exception 'project % not found', require_project_role.project_id using errcode = 'VS003';
  end if;
  if caller_role <> all (require_project_role.roles) then
    raise exception 'requires role % in project %', pg_catalog.array_to_string(require_project_role.roles, ' or '), require_project_role.project_id
      using errcode = 'VS004';
  end if;
  return caller_role;
end
$$;

-- VS003 for an unknown device and for one in a project the caller is not a
-- member of; VS004 when a member may see it but not manage it. Returns the
-- device's project.
create function vidsync.require_device_access(device_id uuid, user_id uuid, manage boolean) returns uuid
  language plpgsql stable set search_path = '' as $$
declare
  d record;
  caller_role text;
begin
  select x.project_id, x.owner_id into d from vidsync.devices x where x.id = require_device_access.device_id;
  if not found then
    raise exception 'device % not found', require_device_access.device_id using errcode = 'VS003';
  end if;
  if vidsync.caller_is_privileged() then
    return d.project_id;
  end if;
  caller_role := vidsync.member_role(d.project_id, require_device_access.user_id);
  if caller_role is null then
    raise exception 'device % not found', require_device_access.device_id using errcode = 'VS003';
  end if;
  if caller_role in ('owner', 'admin') or not require_device_access.manage or d.owner_id = require_device_access.user_id then
    return d.project_id;
  end if;
  raise exception 'no access to device %', require_device_access.device_id using errcode = 'VS004';
end
$$;

-- Subnets ---------------------------------------------------------------------

-- IPv4, between /16 (65,534 hosts: the pool is one row per host, and a /16
-- populates in well under a second) and /30 (2 hosts).
create function vidsync.validate_subnet(subnet cidr) returns void
  language plpgsql immutable set search_path = '' as $$
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

-- The pool ---------------------------------------------------------------------

-- Adds every host address of `pool` (which must lie inside the project's
-- subnet) except the subnet's network and broadcast addresses. Idempotent:
-- existing rows, free or not, are left as they are. One set-based insert, so
-- a /16 takes well under a second. Returns the number of rows added.
create function vidsync.populate_pool(project_id uuid, pool cidr) returns integer
  language plpgsql set search_path = '' as $$
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

-- A project's pool is written lazily, in chunks of 1/256 of the subnet (at
-- least 32 addresses, at most the whole subnet): creating a project writes
-- the first chunk only (31 rows for a /24, 255 for a /16), and the allocator
-- writes the next chunk when the written ones have nothing free. Unwritten
-- addresses are never-used addresses. (Writing a /16 at once held a lock
-- every project creation shared for seconds.)
--
-- Concurrent allocators never wait for each other's chunks: a chunk is
-- written under a transaction-scoped advisory lock taken with
-- pg_try_advisory_xact_lock, so an allocator that finds a chunk being written
-- by someone else moves on to the next one; only when every missing chunk is
-- being written by others does it wait for one of them (which then commits,
-- and its addresses become visible, or rolls back, and the waiter writes it).

-- Addresses per chunk of a pool on `subnet`. (PL/pgSQL: see member_role.)
create function vidsync.pool_chunk_size(subnet cidr) returns bigint
  language plpgsql immutable set search_path = '' as $$
begin
  return least(2::bigint ^ (32 - pg_catalog.masklen(pool_chunk_size.subnet)),
               greatest(32, (2::bigint ^ (32 - pg_catalog.masklen(pool_chunk_size.subnet)))::bigint / 256))::bigint;
end
$$;

-- Writes chunk `chunk` of the project's pool (its host addresses: never the
-- subnet's network or broadcast address). Idempotent. Returns the rows added.
create function vidsync.populate_pool_chunk(project_id uuid, subnet cidr, chunk bigint) returns integer
  language plpgsql set search_path = '' as $$
declare
  size bigint := (2::bigint ^ (32 - pg_catalog.masklen(populate_pool_chunk.subnet)))::bigint;
  per_chunk bigint := vidsync.pool_chunk_size(populate_pool_chunk.subnet);
  added integer;
begin
  insert into vidsync.ip_pool (project_id, ip)
  select populate_pool_chunk.project_id, pg_catalog.set_masklen(populate_pool_chunk.subnet::inet, 32) + g.n
  from pg_catalog.generate_series(populate_pool_chunk.chunk * per_chunk, least((populate_pool_chunk.chunk + 1) * per_chunk, size) - 1) as g(n)
  where g.n > 0 and g.n < size - 1
  on conflict do nothing;
  get diagnostics added = row_count;
  return added;
end
$$;

-- The lock that guards writing one chunk of one project's pool.
create function vidsync.try_lock_pool_chunk(project_id uuid, chunk bigint, wait boolean default false) returns boolean
  language plpgsql set search_path = '' as $$
begin
  if try_lock_pool_chunk.wait then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vidsync.ip_pool:' || try_lock_pool_chunk.project_id::text), try_lock_pool_chunk.chunk::integer);
    return true;
  end if;
  return pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('vidsync.ip_pool:' || try_lock_pool_chunk.project_id::text), try_lock_pool_chunk.chunk::integer);
end
$$;

-- Writes the first of the chunks `candidates`, in their order, whose lock no
-- other transaction holds. `written` is that chunk (null: another
-- transaction held every one); `busy` is the first one held elsewhere, the
-- one to wait for when nothing else is free.
create function vidsync.write_first_unlocked_chunk(project_id uuid, subnet cidr, candidates bigint[], out written bigint, out busy bigint)
  language plpgsql set search_path = '' as $$
declare
  k bigint;
begin
  foreach k in array write_first_unlocked_chunk.candidates loop
    if vidsync.try_lock_pool_chunk(write_first_unlocked_chunk.project_id, k) then
      perform vidsync.populate_pool_chunk(write_first_unlocked_chunk.project_id, write_first_unlocked_chunk.subnet, k);
      written := k;
      return;
    end if;
    busy := coalesce(busy, k);
  end loop;
end
$$;

-- Allocation ----------------------------------------------------------------

-- A free address of the project's pool for a new holder, its row locked
-- until the transaction ends (the caller then assigns it: assign_ip).
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
-- holds only live entries. The order of preference
-- (tests/db/allocator-order.test.ts):
--   1. never-used addresses above the highest taken one, lowest first,
--      writing the next chunk of the pool when the written ones have none;
--   2. released addresses whose cooling has ended, longest cooled first;
--   3. never-used addresses below the highest taken one (holes left by
--      allocations that rolled back), and chunks below the highest written
--      one that a rolled-back allocation had written;
-- then VS001 at once: no scan over allocated or cooling rows, no retry loop.
-- Costs: steps 1 and 2 one index probe each (writing a chunk, every
-- chunk-size allocations, adds one set-based insert); step 3's search for
-- unwritten chunks probes the primary key once per chunk (at most 256), and
-- only runs when nothing else is free.
--
-- SKIP LOCKED semantics: concurrent allocators never wait for each other;
-- each takes the first row nobody else holds. The price is that VS001 means
-- "no free address that is not being claimed right now": when the last free
-- addresses are held by transactions that later roll back, a request may
-- see VS001 although a retry would succeed. Waiting on those locks instead
-- would make exhaustion slow under load, which is worse for callers.
create function vidsync.free_ip(project_id uuid) returns inet
  language plpgsql set search_path = '' as $$
declare
  subnet cidr;
  base inet;
  size bigint;
  per_chunk bigint;
  chunks bigint;
  highest_taken inet;
  highest_written inet;
  top_chunk bigint;
  candidate inet;
  next_reusable timestamptz;
  busy_chunk bigint;
  waited boolean := false;
  written bigint;
begin
  select p.subnet into subnet from vidsync.projects p where p.id = free_ip.project_id;
  base := pg_catalog.set_masklen(subnet::inet, 32);
  size := (2::bigint ^ (32 - pg_catalog.masklen(subnet)))::bigint;
  per_chunk := vidsync.pool_chunk_size(subnet);
  chunks := (size + per_chunk - 1) / per_chunk;

  -- Each round ends with an address, with a chunk written (then the next
  -- round finds its addresses), or after waiting once for a chunk that
  -- another transaction is writing.
  for attempt in 1..8 loop
    busy_chunk := null;
    next_reusable := null;

    select max(p.ip) into highest_taken
    from vidsync.ip_pool p
    where p.project_id = free_ip.project_id and p.device_id is not null;

    -- 1. Never used, above the highest taken address.
    select p.ip into candidate
    from vidsync.ip_pool p
    where p.project_id = free_ip.project_id and p.device_id is null
      and p.reusable_after = '-infinity' and p.ip > coalesce(highest_taken, '0.0.0.0'::inet)
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
    exit when candidate is not null;

    -- 1b. The next chunks above the highest written address.
    select max(p.ip) into highest_written from vidsync.ip_pool p where p.project_id = free_ip.project_id;
    top_chunk := case when highest_written is null then -1 else (highest_written - base) / per_chunk end;
    select w.written, w.busy into written, busy_chunk
    from vidsync.write_first_unlocked_chunk(free_ip.project_id, subnet,
      array(select pg_catalog.generate_series(top_chunk + 1, least(chunks - 1, top_chunk + 8)))) as w;
    continue when written is not null;

    -- 2. Released and cooled down.
    select p.ip, p.reusable_after into candidate, next_reusable
    from vidsync.ip_pool p
    where p.project_id = free_ip.project_id and p.device_id is null
      and p.reusable_after > '-infinity'
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
    if next_reusable > pg_catalog.now() then
      candidate := null; -- still cooling, and so is every later one
    end if;
    exit when candidate is not null;

    -- 3. Never used, below the highest taken address.
    select p.ip into candidate
    from vidsync.ip_pool p
    where p.project_id = free_ip.project_id and p.device_id is null
      and p.reusable_after = '-infinity'
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
    exit when candidate is not null;

    -- 3b. Chunks below the highest written one that hold no row.
    select w.written, coalesce(busy_chunk, w.busy) into written, busy_chunk
    from vidsync.write_first_unlocked_chunk(free_ip.project_id, subnet, array(
      select g.c from pg_catalog.generate_series(0::bigint, least(top_chunk, chunks - 1)) as g(c)
      where not exists (
        select 1 from vidsync.ip_pool p
        where p.project_id = free_ip.project_id
          and p.ip >= base + g.c * per_chunk and p.ip < base + least((g.c + 1) * per_chunk, size))
      order by g.c)) as w;
    continue when written is not null;

    -- Every missing chunk is being written by another transaction: wait for
    -- one, once; then its addresses are visible, or it is ours to write.
    exit when busy_chunk is null or waited;
    perform vidsync.try_lock_pool_chunk(free_ip.project_id, busy_chunk, true);
    waited := true;
  end loop;

  if candidate is null then
    raise exception 'address pool of project % is exhausted', free_ip.project_id
      using errcode = 'VS001',
            hint = case when next_reusable is null then 'every address is allocated'
                        else 'the next address is reusable after ' || next_reusable::text end;
  end if;

  return candidate;
end
$$;

-- Hands the free address `ip` (from free_ip) to the device: the pool row and
-- the history. The device row's copy (devices.overlay_ip) is the caller's
-- to write.
create function vidsync.assign_ip(project_id uuid, device_id uuid, ip inet, allocated_by uuid) returns void
  language plpgsql set search_path = '' as $$
begin
  update vidsync.ip_pool p set device_id = assign_ip.device_id
  where p.project_id = assign_ip.project_id and p.ip = assign_ip.ip;
  insert into vidsync.ip_allocations (project_id, ip, device_id, allocated_by)
  values (assign_ip.project_id, assign_ip.ip, assign_ip.device_id, assign_ip.allocated_by);
end
$$;

-- Returns the device's live address, allocating one if it has none. The
-- device row is locked first: allocations for one device are serialised,
-- and the second finds the first's address.
create function vidsync.allocate_ip(project_id uuid, device_id uuid, allocated_by uuid) returns inet
  language plpgsql set search_path = '' as $$
declare
  device_project uuid;
  existing inet;
  candidate inet;
begin
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

  candidate := vidsync.free_ip(allocate_ip.project_id);
  perform vidsync.assign_ip(allocate_ip.project_id, allocate_ip.device_id, candidate, allocate_ip.allocated_by);
  update vidsync.devices d set overlay_ip = candidate, updated_at = pg_catalog.now()
  where d.id = allocate_ip.device_id;
  return candidate;
end
$$;

-- Locks a device for a change, its project first (key share), then the
-- device row (for update): the order a registration takes them in (project,
-- then pool and device rows). A deletion of the project (project FOR UPDATE,
-- then the cascade into its devices and pool) then never waits for a
-- request that waits for it (a deadlock: one of the two would fail). False
-- when there is no such device (gone with its project, say).
create function vidsync.lock_device(device_id uuid) returns boolean
  language plpgsql set search_path = '' as $$
begin
  perform 1 from vidsync.projects p
   where p.id = (select x.project_id from vidsync.devices x where x.id = lock_device.device_id) for key share;
  perform 1 from vidsync.devices d where d.id = lock_device.device_id for update;
  return found;
end
$$;
revoke all on function vidsync.lock_device(uuid) from public, anon, authenticated, service_role;

-- Releases the device's live address: it cools until the release's time +
-- the cooling interval before anyone gets it again. Releasing a device that
-- holds no address is a no-op returning false, so a retried release is
-- harmless; an unknown device is VS003. The reason, when given, is display
-- text of at most 200 characters (VS005).
--
-- The release's time is the clock after the device's row lock, not now()
-- (the start of its transaction). A registration holds that lock from its
-- upsert until it commits, and signs the certificate by the database's clock
-- read under it (the nebula function's store/settings.ts, signingClock), for
-- at most the cooling interval. With now(), a release that waited for the
-- lock stamped a time before the registration signed: the certificate then
-- stayed valid past the IP's reusable_after by as long as the release had
-- waited (5 s was reproduced).
create function vidsync.release_ip(device_id uuid, released_by uuid, reason text) returns boolean
  language plpgsql set search_path = '' as $$
declare
  released inet;
  cooling interval;
  stamp timestamptz;
begin
  if release_ip.reason is not null then
    -- Stored as given (not trimmed): only checked.
    perform vidsync.require_display_text(release_ip.reason, 200, 'release reason');
  end if;
  if not vidsync.lock_device(release_ip.device_id) then
    raise exception 'device % not found', release_ip.device_id using errcode = 'VS003';
  end if;
  select s.cooling_interval into cooling from vidsync.settings s;
  -- Not now() (when this transaction began, perhaps before a registration
  -- of this device signed and committed while we waited for its lock): the
  -- clock now, after the lock, which is later than the clock that
  -- registration signed by.
  stamp := pg_catalog.clock_timestamp();

  update vidsync.ip_pool p
  set device_id = null, reusable_after = stamp + cooling
  where p.device_id = release_ip.device_id
  returning p.ip into released;
  if released is null then
    return false;
  end if;

  update vidsync.ip_allocations a
  set released_at = stamp, released_by = release_ip.released_by, release_reason = release_ip.reason
  where a.device_id = release_ip.device_id and a.released_at is null;
  update vidsync.devices d set overlay_ip = null, updated_at = stamp
  where d.id = release_ip.device_id;
  return true;
end
$$;

-- Nothing here is callable through the API roles; policies get the
-- membership helper (next migration).
revoke all on all functions in schema vidsync from public;
