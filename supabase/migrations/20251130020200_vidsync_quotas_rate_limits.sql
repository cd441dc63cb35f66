-- Quotas and rate limits.
--
-- Quotas live in vidsync.settings (one row; change them in the SQL editor):
--   max_projects_per_user    projects a user owns                 (default 100)
--   max_devices_per_project  devices holding an address in one project (default 1000)
--   max_devices_per_member   devices one user holds in one project  (default 50)
-- Exceeding one is VS011 (`quota_exceeded`, 409). The device quotas count
-- live devices (holding an address): releasing a device frees its place.
-- They are checked before the device row is written, under a lock held until
-- the registration's transaction ends: one per member and project (the member
-- quota is exact), and near the project's quota one per project.
--
-- Rate limits are token buckets in Postgres (vidsync.rate_limits: capacity
-- and refill rate per route class and scope; vidsync.rate_buckets: the
-- levels), taken by the function in a statement of their own before the
-- request's transaction: a refused or failed request does not give its token
-- back, and no bucket row stays locked while a request runs. 429
-- `rate_limited` with Retry-After.

alter table vidsync.settings
  add column max_projects_per_user integer not null default 100 check (max_projects_per_user >= 0),
  add column max_devices_per_project integer not null default 1000 check (max_devices_per_project >= 0),
  add column max_devices_per_member integer not null default 50 check (max_devices_per_member >= 0);

-- Rate limits ------------------------------------------------------------------------

-- Route classes (supabase/functions/nebula/store/quotas.ts maps routes to them):
--   project_create  POST /projects
--   register        POST /register (per user, and per project)
--   read            every GET
--   write           every other POST (release, CA import, renew, revoke, ...)
--   join            POST /join: its own bucket, so guessing invite codes
--                   (each wrong one a 404) is slow; a person joins a handful of projects
create table vidsync.rate_limits (
  route_class text not null check (route_class in ('project_create', 'register', 'read', 'write', 'join')),
  scope text not null check (scope in ('user', 'project')),
  -- The burst: tokens a full bucket holds.
  capacity integer not null check (capacity >= 1),
  -- The sustained rate.
  refill_per_second double precision not null check (refill_per_second > 0),
  primary key (route_class, scope)
);
insert into vidsync.rate_limits (route_class, scope, capacity, refill_per_second) values
  ('project_create', 'user', 20, 1.0 / 60),   -- 20 at once, then one a minute
  ('register', 'user', 120, 2),               -- a user sets up a fleet in bursts of 120, then 2/s
  ('register', 'project', 300, 5),            -- all members of one project together
  ('read', 'user', 600, 20),
  ('write', 'user', 120, 2),
  ('join', 'user', 10, 1.0 / 30);             -- 10 at once, then one each 30 s

-- Levels, one row per (subject, class, scope). Unlogged: losing them in a
-- crash only refills every bucket. Half-empty pages keep updates HOT.
create unlogged table vidsync.rate_buckets (
  subject uuid not null,
  route_class text not null,
  scope text not null,
  tokens double precision not null,
  updated_at timestamptz not null,
  primary key (subject, route_class, scope)
) with (fillfactor = 50);

alter table vidsync.rate_limits enable row level security;
alter table vidsync.rate_buckets enable row level security;
revoke all on vidsync.rate_limits, vidsync.rate_buckets from public, anon, authenticated;
grant select, insert, update, delete on vidsync.rate_limits, vidsync.rate_buckets to service_role;

-- Takes one token from the bucket of (subject, class, scope). Returns 0 when
-- taken, otherwise the whole seconds until one is there (at least 1); a
-- class without a configured limit is never limited.
create function vidsync.take_token(subject uuid, route_class text, scope text) returns integer
  language plpgsql set search_path = '' as $$
declare
  lim vidsync.rate_limits;
  level double precision;
begin
  select * into lim from vidsync.rate_limits l where l.route_class = take_token.route_class and l.scope = take_token.scope;
  if not found or take_token.subject is null then
    return 0;
  end if;
  for attempt in 1..2 loop
    -- Locked until the calling statement commits (the function calls this alone, in autocommit).
    select least(lim.capacity::double precision,
                 b.tokens + greatest(extract(epoch from pg_catalog.now() - b.updated_at)::double precision, 0) * lim.refill_per_second)
      into level
    from vidsync.rate_buckets b
    where b.subject = take_token.subject and b.route_class = take_token.route_class and b.scope = take_token.scope
    for update;
    if found then
      update vidsync.rate_buckets b
      set tokens = case when level >= 1 then level - 1 else level end, updated_at = pg_catalog.now()
      where b.subject = take_token.subject and b.route_class = take_token.route_class and b.scope = take_token.scope;
      if level >= 1 then
        return 0;
      end if;
      return greatest(1, pg_catalog.ceil((1 - level) / lim.refill_per_second))::integer;
    end if;
    insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at)
    values (take_token.subject, take_token.route_class, take_token.scope, lim.capacity - 1, pg_catalog.now())
    on conflict do nothing;
    if found then
      return 0;
    end if;
  end loop;
  return 0;
end
$$;

-- The function's rate-limit check. Without `project_id`: a token from the
-- user's bucket of the class. With it: a token from the project's bucket,
-- drawn only when `user_id` is a member of the project, so that nobody can
-- drain the bucket of a project they do not belong to (their request is
-- refused later anyway). Returns 0 when the request may go on, otherwise the
-- seconds to wait (Retry-After). Called in a statement of its own
-- (autocommit), never inside the request's transaction. Only the function
-- (its own postgres connection, or the service role) calls it: a user could
-- otherwise drain another's bucket.
create function vidsync_api.take_rate_token(route_class text, user_id uuid, project_id uuid default null) returns integer
  language plpgsql security definer set search_path = '' as $$
begin
  if take_rate_token.route_class is null or take_rate_token.route_class not in ('project_create', 'register', 'read', 'write', 'join') then
    raise exception 'unknown route class %', take_rate_token.route_class using errcode = 'VS005';
  end if;
  if take_rate_token.project_id is null then
    return vidsync.take_token(take_rate_token.user_id, take_rate_token.route_class, 'user');
  end if;
  if vidsync.member_role(take_rate_token.project_id, take_rate_token.user_id) is null then
    return 0;
  end if;
  return vidsync.take_token(take_rate_token.project_id, take_rate_token.route_class, 'project');
end
$$;

-- Deletes buckets that have refilled completely (they hold nothing a fresh
-- bucket would not). Run it now and then, e.g. hourly with pg_cron:
--   select cron.schedule('vidsync-rate-buckets', '17 * * * *', 'select vidsync_api.prune_rate_buckets()');
create function vidsync_api.prune_rate_buckets() returns integer
  language plpgsql security definer set search_path = '' as $$
declare
  removed integer;
begin
  delete from vidsync.rate_buckets b
  using vidsync.rate_limits l
  where l.route_class = b.route_class and l.scope = b.scope
    and b.tokens + extract(epoch from pg_catalog.now() - b.updated_at)::double precision * l.refill_per_second >= l.capacity;
  get diagnostics removed = row_count;
  return removed;
end
$$;

-- Quotas -------------------------------------------------------------------------------

-- Raises VS011 when registering `device` in `project` would exceed the
-- project's or the member's device quota. A device that already holds an
-- address (re-registration) is always let through. The member is the
-- calling user, or `owner_id` for a privileged caller; with neither (the
-- service role registering on nobody's behalf) only the project's quota counts.
-- Runs as the caller inside the registration's transaction, before
-- vidsync_api.register_device.
-- A caller who is not a member of the project hears it is not found before
-- hearing how full it is (VS011 would tell a stranger that a full project
-- exists); the catalog is asked whether the caller is privileged only for a
-- non-member. Only a privileged caller names another user as `owner_id` (the
-- enrollment, for the invite's creator): a user who does is answered as a
-- non-member, whoever they name.
create function vidsync_api.check_device_quota(project uuid, device uuid, owner_id uuid default null) returns void
  -- Volatile, not stable: after waiting for a lock it must count with a new
  -- snapshot, which a stable function's statements do not take.
  language plpgsql security definer set search_path = '' as $$
declare
  s vidsync.settings;
  member uuid := coalesce(check_device_quota.owner_id, auth.uid());
  n integer;
  highest inet;
  bound bigint;
begin
  if (member is distinct from auth.uid() or vidsync.member_role(check_device_quota.project, member) is null)
     and not vidsync.caller_is_privileged() then
    raise exception 'project % not found', check_device_quota.project using errcode = 'VS003';
  end if;
  -- By the primary key alone: with the project in the condition too, a plan
  -- cached while the table was small walked the project's devices instead
  -- (a registration cost a row per device already there).
  if coalesce((select d.project_id = check_device_quota.project and d.overlay_ip is not null
                 from vidsync.devices d where d.id = check_device_quota.device), false) then
    return;
  end if;
  select * into s from vidsync.settings;
  -- Concurrent first registrations of one member in one project count one
  -- after another: the lock is held until the transaction, which inserts the
  -- device, ends.
  if member is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vidsync.device_quota ' || check_device_quota.project || ' ' || member, 0));
  end if;
  -- Counting costs a row per live device, and most registrations need not
  -- count: every live device holds its own address of the pool, none above
  -- the highest one taken, so that address's offset in the subnet bounds
  -- their number (one probe at the end of ip_pool_taken_addresses). Only
  -- when the bound comes near a quota are the devices counted.
  select pg_catalog.max(p.ip) into highest
    from vidsync.ip_pool p where p.project_id = check_device_quota.project and p.device_id is not null;
  select coalesce(highest - pg_catalog.set_masklen(j.subnet::inet, 32), 0) into bound
    from vidsync.projects j where j.id = check_device_quota.project;
  if bound >= s.max_devices_per_project - 64 then
    select pg_catalog.count(*)::integer into n
    from vidsync.devices d where d.project_id = check_device_quota.project and d.overlay_ip is not null;
    -- Near the project's quota, registrations of every member count one after
    -- another too (far from it, they need not wait for each other).
    if n >= s.max_devices_per_project - 64 then
      perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vidsync.device_quota ' || check_device_quota.project, 0));
      select pg_catalog.count(*)::integer into n
      from vidsync.devices d where d.project_id = check_device_quota.project and d.overlay_ip is not null;
    end if;
    if n >= s.max_devices_per_project then
      raise exception 'project % already has % devices (the quota per project)', check_device_quota.project, s.max_devices_per_project
        using errcode = 'VS011', hint = 'release a device first';
    end if;
  end if;
  if member is not null and bound >= s.max_devices_per_member then
    select pg_catalog.count(*)::integer into n
    from vidsync.devices d
    where d.project_id = check_device_quota.project and d.owner_id = member and d.overlay_ip is not null;
    if n >= s.max_devices_per_member then
      raise exception 'you already have % devices in project % (the quota per member)', s.max_devices_per_member, check_device_quota.project
        using errcode = 'VS011', hint = 'release one of your devices first';
    end if;
  end if;
end
$$;
-- Counting one user's devices in a project.
create index devices_owner_project_live_idx on vidsync.devices (project_id, owner_id) where overlay_ip is not null;

revoke all on function vidsync.take_token(uuid, text, text) from public;
revoke all on function
  vidsync_api.take_rate_token(text, uuid, uuid),
  vidsync_api.prune_rate_buckets(),
  vidsync_api.check_device_quota(uuid, uuid, uuid)
from public, anon, authenticated, service_role;
grant execute on function vidsync_api.take_rate_token(text, uuid, uuid), vidsync_api.prune_rate_buckets() to service_role;
grant execute on function vidsync_api.check_device_quota(uuid, uuid, uuid) to authenticated, service_role;
