-- Subnet policy that scales: private ranges only, and subnets disjoint only
-- where it matters. (Accepting any IPv4 /16–/30 let a project route
-- 8.8.8.0/24, 127.0.0.0/24 or 224.0.0.0/24 into the overlay of every member
-- running its bundle; keeping every project of a deployment disjoint capped
-- it at 256 /24s of one /16, which one user could exhaust for everyone.)
--
--   * A project subnet lies inside one of `vidsync.settings.allowed_ranges`,
--     which may only name private ranges: RFC 1918 (the default: 10/8,
--     172.16/12, 192.168/16) and, when an operator adds it, RFC 6598
--     (100.64.0.0/10, off by default: Tailscale drops that range on hosts
--     that run it). A check constraint holds the settings to that.
--   * Subnets need only be disjoint among projects that share a device.
--     "Share a device" in our model: one physical machine runs one Nebula per
--     project it joined, and it joins with its user's account, so two
--     projects share a device when one user has devices in both. The
--     machine's routing table cannot hold two overlays whose subnets
--     overlap. So each user's projects form a set of disjoint subnets,
--     held by an exclusion constraint on vidsync.user_subnets: one row per
--     (user, project) for the project's owner (at creation) and for every
--     user with a device in the project (at the first registration). A
--     registration that would break it is refused with VS010
--     (`subnet_conflict`, 409); creating a project that overlaps one of the
--     owner's own is VS002 (`subnet_overlap`, 409), as before.
--   * Automatic subnets are random /24s (settings.project_prefix) inside
--     settings.supernet, now 10.0.0.0/8 (65,536 blocks), avoiding
--     settings.auto_subnet_avoid (home routers' and container runtimes'
--     favourite ranges, and 100.64.0.0/10) and the owner's own subnets.
--     Random, so that two users who share a device later rarely collide
--     (with k projects each, about k²/65,536); no ceiling per deployment.

create extension if not exists btree_gist with schema extensions;

-- True when `range` lies inside a private IPv4 range: RFC 1918, or RFC 6598
-- (carrier-grade NAT, which an operator may enable in allowed_ranges).
create function vidsync.is_private_range(range cidr) returns boolean
  language sql immutable set search_path = '' as $$
  select is_private_range.range is not null
     and pg_catalog.family(is_private_range.range) = 4
     and (is_private_range.range <<= '10.0.0.0/8'::cidr
       or is_private_range.range <<= '172.16.0.0/12'::cidr
       or is_private_range.range <<= '192.168.0.0/16'::cidr
       or is_private_range.range <<= '100.64.0.0/10'::cidr)
$$;

create function vidsync.are_private_ranges(ranges cidr[]) returns boolean
  language sql immutable set search_path = '' as $$
  select coalesce(pg_catalog.bool_and(vidsync.is_private_range(r)), true) from pg_catalog.unnest(are_private_ranges.ranges) as r
$$;

-- True when `subnet` lies inside one of `ranges`.
create function vidsync.inside_any(subnet cidr, ranges cidr[]) returns boolean
  language sql immutable set search_path = '' as $$
  select exists (select 1 from pg_catalog.unnest(inside_any.ranges) as r where inside_any.subnet <<= r)
$$;

alter table vidsync.settings
  add column allowed_ranges cidr[] not null default '{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16}',
  add column auto_subnet_avoid cidr[] not null default '{10.0.0.0/16,10.1.0.0/16,10.8.0.0/16,10.10.0.0/16,10.42.0.0/15,10.88.0.0/16,10.96.0.0/12,10.244.0.0/16,10.255.0.0/16,100.64.0.0/10}';
comment on column vidsync.settings.allowed_ranges is
  'Where project subnets may lie: private ranges only (RFC 1918; add 100.64.0.0/10, RFC 6598, only if no member runs Tailscale).';
comment on column vidsync.settings.auto_subnet_avoid is
  'Never picked for automatic subnets: common home-router LANs (10.0.0.x, 10.0.1.x, 10.1.1.x, 10.1.10.x, 10.10.10.x), VirtualBox NAT (10.0.2.x), OpenVPN (10.8.0.x), k3s/podman/Kubernetes/flannel defaults, and RFC 6598 (Tailscale).';
comment on column vidsync.settings.supernet is
  'Where automatic project subnets are drawn from, at random, in blocks of project_prefix.';

alter table vidsync.settings
  add constraint settings_allowed_ranges_private check (vidsync.are_private_ranges(allowed_ranges)),
  add constraint settings_supernet_allowed check (vidsync.inside_any(supernet, allowed_ranges));

-- Each user's projects ---------------------------------------------------------

create table vidsync.user_subnets (
  user_id uuid not null references auth.users (id) on delete cascade,
  project_id uuid not null references vidsync.projects (id) on delete cascade,
  subnet cidr not null,
  created_at timestamptz not null default now(),
  primary key (user_id, project_id),
  -- The invariant itself: one user's projects never overlap. A constraint,
  -- not a check in code, so two concurrent first registrations cannot both win.
  constraint user_subnets_disjoint exclude using gist (user_id extensions.gist_uuid_ops with =, subnet inet_ops with &&)
);
create index user_subnets_project_id_idx on vidsync.user_subnets (project_id);
alter table vidsync.user_subnets enable row level security;
revoke all on vidsync.user_subnets from public, anon, authenticated;
grant select on vidsync.user_subnets to service_role;
create policy "A user sees the subnets of their own projects" on vidsync.user_subnets
  for select to authenticated
  using (user_id = (select auth.uid()));
grant select on vidsync.user_subnets to authenticated;

-- Projects of different users may overlap. Per-user queries (the per-owner lock and quota) and the projects of a subnet.
create index projects_subnet_idx on vidsync.projects using gist (subnet inet_ops);

-- The owner's row, whoever inserts the project (the function, the SQL
-- editor): an overlap with the owner's own projects fails the insert with
-- 23P01 (`subnet_overlap`).
create function vidsync.claim_owner_subnet() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    insert into vidsync.user_subnets (user_id, project_id, subnet) values (new.owner_id, new.id, new.subnet);
  elsif new.subnet is distinct from old.subnet then
    update vidsync.user_subnets u set subnet = new.subnet where u.project_id = new.id;
  end if;
  return null;
end
$$;
create trigger projects_claim_owner_subnet
  after insert or update of subnet on vidsync.projects
  for each row execute function vidsync.claim_owner_subnet();

-- A device's user joins the project's subnet to their own, at the device's
-- first registration (the device row's insert), whoever writes the row.
-- Refused with VS010 when it overlaps a project where that user already has
-- a device or which they own.
create function vidsync.claim_device_subnet() returns trigger
  language plpgsql security definer set search_path = '' as $$
declare
  project_subnet cidr;
  other record;
begin
  -- The common case, a user's next device in a project: one index probe.
  if exists (select 1 from vidsync.user_subnets u where u.user_id = new.owner_id and u.project_id = new.project_id) then
    return null;
  end if;
  select p.subnet into project_subnet from vidsync.projects p where p.id = new.project_id;
  begin
    insert into vidsync.user_subnets (user_id, project_id, subnet)
    values (new.owner_id, new.project_id, project_subnet)
    on conflict (user_id, project_id) do nothing;
  exception when exclusion_violation then
    -- A concurrent first registration of the same user in the same project is no conflict.
    if exists (select 1 from vidsync.user_subnets u where u.user_id = new.owner_id and u.project_id = new.project_id) then
      return null;
    end if;
    select u.project_id, u.subnet into other
    from vidsync.user_subnets u
    where u.user_id = new.owner_id and u.subnet && project_subnet and u.project_id <> new.project_id
    limit 1;
    raise exception 'subnet % of project % overlaps subnet % of project %, where this user already has devices: one machine cannot route both',
      project_subnet, new.project_id, other.subnet, other.project_id
      using errcode = 'VS010',
            hint = 'ask the project owner to create the project again with another subnet, or release your devices in the other project';
  end;
  return null;
end
$$;
create trigger devices_claim_user_subnet
  after insert on vidsync.devices
  for each row execute function vidsync.claim_device_subnet();

revoke all on function vidsync.claim_owner_subnet(), vidsync.claim_device_subnet() from public;
revoke all on function vidsync.is_private_range(cidr), vidsync.are_private_ranges(cidr[]), vidsync.inside_any(cidr, cidr[]) from public;
-- The settings' check constraints call these as whoever writes the row.
grant execute on function vidsync.is_private_range(cidr), vidsync.are_private_ranges(cidr[]), vidsync.inside_any(cidr, cidr[]) to service_role;

-- The policy on explicit subnets ------------------------------------------------

-- Raises VS005 unless `subnet` is a project subnet this deployment allows:
-- the shape (vidsync.validate_subnet) and a private range of allowed_ranges.
create function vidsync.check_subnet_policy(subnet cidr) returns void
  language plpgsql stable set search_path = '' as $$
declare
  allowed cidr[];
begin
  perform vidsync.validate_subnet(check_subnet_policy.subnet);
  select s.allowed_ranges into allowed from vidsync.settings s;
  if not vidsync.is_private_range(check_subnet_policy.subnet) or not vidsync.inside_any(check_subnet_policy.subnet, allowed) then
    raise exception 'subnet % is not in a private range this deployment allows (%)', check_subnet_policy.subnet, pg_catalog.array_to_string(allowed, ', ')
      using errcode = 'VS005';
  end if;
end
$$;
revoke all on function vidsync.check_subnet_policy(cidr) from public;

-- Automatic subnets ----------------------------------------------------------------

-- A random block of settings.project_prefix inside settings.supernet that
-- overlaps neither auto_subnet_avoid nor any subnet of `owner`, or null.
-- Uniform over the free blocks. A few random probes first (each one index
-- probe: the common case, a user with few projects in a large range); then
-- one pass over the user's subnets in the range that lists the free gaps
-- between them and picks a block among all of them at random, so the cost
-- stays flat however full the user's part of the range is.
create function vidsync.free_subnet_for(owner uuid) returns cidr
  language plpgsql volatile set search_path = '' as $$
declare
  s vidsync.settings;
  base inet;
  block_size bigint;
  blocks bigint;
  range_size bigint;
  candidate cidr;
  picked bigint;
begin
  select * into s from vidsync.settings;
  base := pg_catalog.set_masklen(s.supernet::inet, 32);
  block_size := (2::bigint ^ (32 - s.project_prefix))::bigint;
  blocks := (2::bigint ^ (s.project_prefix - pg_catalog.masklen(s.supernet)))::bigint;
  range_size := blocks * block_size;

  for attempt in 1..3 loop
    candidate := pg_catalog.set_masklen(base + (pg_catalog.floor(pg_catalog.random() * blocks)::bigint * block_size), s.project_prefix)::cidr;
    if not (candidate && any (s.auto_subnet_avoid))
       and not exists (select 1 from vidsync.user_subnets u where u.user_id = free_subnet_for.owner and u.subnet && candidate) then
      return candidate;
    end if;
  end loop;

  -- Occupied intervals [lo, hi) as offsets from the range's start; the gaps
  -- between them, in whole aligned blocks [from_block, to_block).
  with occupied as (
    select (pg_catalog.set_masklen(u.subnet::inet, 32) - base) as lo, (pg_catalog.set_masklen(pg_catalog.broadcast(u.subnet), 32) - base) + 1 as hi
    from vidsync.user_subnets u
    where u.user_id = free_subnet_for.owner and u.subnet && s.supernet
    union all
    select (pg_catalog.set_masklen(a::inet, 32) - base), (pg_catalog.set_masklen(pg_catalog.broadcast(a), 32) - base) + 1
    from pg_catalog.unnest(s.auto_subnet_avoid) as a
    where a && s.supernet
  ),
  reach as (
    select o.lo, pg_catalog.max(o.hi) over (order by o.lo rows between unbounded preceding and 1 preceding) as before
    from occupied o
  ),
  gaps as (
    select pg_catalog.ceil(greatest(coalesce(r.before, 0), 0)::numeric / block_size)::bigint as from_block,
           pg_catalog.floor(least(r.lo, range_size)::numeric / block_size)::bigint as to_block
    from reach r
    union all
    select pg_catalog.ceil(greatest(coalesce((select pg_catalog.max(o.hi) from occupied o), 0), 0)::numeric / block_size)::bigint, blocks
  ),
  sized as (
    select g.from_block, g.to_block - g.from_block as n,
           pg_catalog.sum(g.to_block - g.from_block) over (order by g.from_block rows unbounded preceding) as upto
    from gaps g where g.to_block > g.from_block
  ),
  pick as (
    select pg_catalog.floor(pg_catalog.random() * (select pg_catalog.sum(n) from sized))::bigint as r
  )
  select z.from_block + (p.r - (z.upto - z.n))::bigint into picked
  from sized z, pick p
  where p.r < z.upto
  order by z.from_block
  limit 1;

  if picked is null then
    return null;
  end if;
  return pg_catalog.set_masklen(base + picked * block_size, s.project_prefix)::cidr;
end
$$;
revoke all on function vidsync.free_subnet_for(uuid) from public;
