-- Allocation that costs the same in an empty and in a freshly filled pool.
--
-- The free-address index (ip_pool_free_addresses: project, reusable_after,
-- ip where device_id is null) is handed out from its front. Each allocation
-- leaves its entry there dead until vacuum removes it, so right after a pool
-- fills up, the scan for the first free address stepped over tens of
-- thousands of dead entries (2x the cost of an empty pool in scripts/bench/
-- allocator.ts, 1.1x once vacuumed). Now the scan for never-used addresses
-- starts above the highest address taken, found in O(1) at the end of a
-- small index of taken addresses, where the free index holds only live
-- entries. Order of preference:
--   1. never-used addresses above the highest taken one, lowest first;
--   2. released addresses whose cooling has ended, longest cooled first
--      (their index range starts after the never-used ones, so the dead
--      entries of first-pass allocations are not in the way either);
--   3. never-used addresses below it (holes left by rolled-back
--      allocations), the only step that may scan dead entries.
-- VS001 still comes at once when none of the three finds a row.

create index ip_pool_taken_addresses on vidsync.ip_pool (project_id, ip) where device_id is not null;

create or replace function vidsync.allocate_ip(project_id uuid, device_id uuid, allocated_by uuid) returns inet
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

revoke all on function vidsync.allocate_ip(uuid, uuid, uuid) from public;
