-- The address pool fills lazily, in chunks.
--
-- Before: creating a project wrote one vidsync.ip_pool row per host address
-- (65,534 for a /16) under a lock that every project creation shared; 16
-- concurrent /16 creations held it for seconds, filled the function's
-- connections, and an unrelated tenant's GET /status took 10.9 s.
--
-- Now a pool is materialized in chunks of 1/256 of the subnet (at least 32
-- addresses, at most the whole subnet): creation writes the first chunk only
-- (31 rows for a /24, 255 for a /16), and the allocator writes the next chunk
-- when the materialized ones have nothing free. Unmaterialized addresses are
-- never-used addresses. The allocator's guarantees do not change (see
-- vidsync.allocate_ip in the allocator migration): one live device per
-- address, idempotent per device, cooling, preference order, VS001 at once
-- when nothing is free.
--
-- Concurrent allocators never wait for each other's chunks either: a chunk is
-- written under a transaction-scoped advisory lock taken with
-- pg_try_advisory_xact_lock, so an allocator that finds a chunk being written
-- by someone else moves on to the next one; only when every missing chunk is
-- being written by others does it wait for one of them (which then commits,
-- and its addresses become visible, or rolls back, and the waiter writes it).

-- Addresses per chunk of a pool on `subnet`.
create function vidsync.pool_chunk_size(subnet cidr) returns bigint
  language sql immutable
  set search_path = ''
as $$
  select least(2::bigint ^ (32 - pg_catalog.masklen(pool_chunk_size.subnet)),
               greatest(32, (2::bigint ^ (32 - pg_catalog.masklen(pool_chunk_size.subnet)))::bigint / 256))::bigint
$$;

-- Writes chunk `chunk` of the project's pool (its host addresses: never the
-- subnet's network or broadcast address). Idempotent. Returns the rows added.
create function vidsync.populate_pool_chunk(project_id uuid, subnet cidr, chunk bigint) returns integer
  language plpgsql
  set search_path = ''
as $$
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
  language plpgsql
  set search_path = ''
as $$
begin
  if try_lock_pool_chunk.wait then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vidsync.ip_pool:' || try_lock_pool_chunk.project_id::text), try_lock_pool_chunk.chunk::integer);
    return true;
  end if;
  return pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('vidsync.ip_pool:' || try_lock_pool_chunk.project_id::text), try_lock_pool_chunk.chunk::integer);
end
$$;

-- Returns the device's live address, allocating one if it has none. The
-- order of preference (tests/db/allocator-order.test.ts):
--   1. never-used addresses above the highest taken one, lowest first,
--      writing the next chunk of the pool when the written ones have none;
--   2. released addresses whose cooling has ended, longest cooled first;
--   3. never-used addresses below the highest taken one (holes left by
--      allocations that rolled back), and chunks below the highest written
--      one that a rolled-back allocation had written;
-- then VS001 at once: no scan over allocated or cooling rows, no retry loop.
-- Costs: steps 1 and 2 as in the allocator migration (one index probe each;
-- writing a chunk, every chunk-size allocations, adds one set-based insert);
-- step 3's search for unwritten chunks probes the primary key once per chunk
-- (at most 256), and only runs when nothing else is free.
--
-- SKIP LOCKED semantics as before: VS001 means "no free address that is not
-- being claimed right now".
create or replace function vidsync.allocate_ip(project_id uuid, device_id uuid, allocated_by uuid) returns inet
  language plpgsql
  set search_path = ''
as $$
declare
  device_project uuid;
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
  existing inet;
  busy_chunk bigint;
  waited boolean := false;
  wrote boolean;
  k bigint;
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

  select p.subnet into subnet from vidsync.projects p where p.id = allocate_ip.project_id;
  base := pg_catalog.set_masklen(subnet::inet, 32);
  size := (2::bigint ^ (32 - pg_catalog.masklen(subnet)))::bigint;
  per_chunk := vidsync.pool_chunk_size(subnet);
  chunks := (size + per_chunk - 1) / per_chunk;

  -- Each round ends with an address, with a chunk written (then the next
  -- round finds its addresses), or after waiting once for a chunk that
  -- another transaction is writing.
  for attempt in 1..8 loop
    busy_chunk := null;
    wrote := false;
    next_reusable := null;

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
    exit when candidate is not null;

    -- 1b. The next chunks above the highest written address.
    select max(p.ip) into highest_written from vidsync.ip_pool p where p.project_id = allocate_ip.project_id;
    top_chunk := case when highest_written is null then -1 else (highest_written - base) / per_chunk end;
    k := top_chunk + 1;
    while k < chunks and k <= top_chunk + 8 loop
      if vidsync.try_lock_pool_chunk(allocate_ip.project_id, k) then
        perform vidsync.populate_pool_chunk(allocate_ip.project_id, subnet, k);
        wrote := true;
        exit;
      end if;
      busy_chunk := coalesce(busy_chunk, k);
      k := k + 1;
    end loop;
    continue when wrote;

    -- 2. Released and cooled down.
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
    exit when candidate is not null;

    -- 3. Never used, below the highest taken address.
    select p.ip into candidate
    from vidsync.ip_pool p
    where p.project_id = allocate_ip.project_id and p.device_id is null
      and p.reusable_after = '-infinity'
    order by p.reusable_after, p.ip
    limit 1
    for update skip locked;
    exit when candidate is not null;

    -- 3b. Chunks below the highest written one that hold no row.
    for k in
      select g.c from pg_catalog.generate_series(0::bigint, least(top_chunk, chunks - 1)) as g(c)
      where not exists (
        select 1 from vidsync.ip_pool p
        where p.project_id = allocate_ip.project_id
          and p.ip >= base + g.c * per_chunk and p.ip < base + least((g.c + 1) * per_chunk, size))
    loop
      if vidsync.try_lock_pool_chunk(allocate_ip.project_id, k) then
        perform vidsync.populate_pool_chunk(allocate_ip.project_id, subnet, k);
        wrote := true;
        exit;
      end if;
      busy_chunk := coalesce(busy_chunk, k);
    end loop;
    continue when wrote;

    -- Every missing chunk is being written by another transaction: wait for
    -- one, once; then its addresses are visible, or it is ours to write.
    exit when busy_chunk is null or waited;
    perform vidsync.try_lock_pool_chunk(allocate_ip.project_id, busy_chunk, true);
    waited := true;
  end loop;

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

-- Pool statistics (members only). `total` is the subnet's host count, not
-- the rows written so far: unwritten addresses are free.
create or replace function public.project_pool_stats(project uuid)
  returns table (total integer, used integer, free integer, cooling integer)
  language plpgsql stable
  security definer
  set search_path = ''
as $$
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

revoke all on function vidsync.pool_chunk_size(cidr), vidsync.populate_pool_chunk(uuid, cidr, bigint), vidsync.try_lock_pool_chunk(uuid, bigint, boolean) from public;
