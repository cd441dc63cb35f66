-- Admin views for the SQL editor (issue 12, section 5): what an operator
-- asks of a deployment. Functions, not views, because they take the window
-- ("not seen for N days") and because a view owned by `postgres` would read
-- past row-level security for whoever may select from it. They read every
-- project, so they are for `postgres` (the SQL editor) and the service role
-- only: not executable by anon or authenticated, and in `vidsync_api`, which
-- the Data API does not expose.
--
--   select * from vidsync_api.admin_project_usage();               -- usage and quotas of every project
--   select * from vidsync_api.admin_unseen_devices(30);            -- live devices not seen for 30 days
--   select * from vidsync_api.admin_expiring_certificates(14);     -- CA and device certificates expiring within 14 days
--   select * from vidsync_api.admin_busiest_projects(7, 10);       -- the 10 busiest projects of the last 7 days
--
-- A window in days is 0..3650 (VS005 otherwise).

create function vidsync.admin_window(days integer) returns interval
  language plpgsql immutable set search_path = '' as $$
begin
  if admin_window.days is null or admin_window.days not between 0 and 3650 then
    raise exception 'a window is 0 to 3650 days' using errcode = 'VS005';
  end if;
  return pg_catalog.make_interval(days => admin_window.days);
end
$$;

-- Every project: members, live devices and the quota per project, the pool
-- (the lazy pool's unwritten rows count as free), the owner's projects and
-- the quota per user, the CAs it trusts and the latest heartbeat. Largest
-- pool use first.
create function vidsync_api.admin_project_usage()
  returns table (project_id uuid, name text, owner_id uuid, subnet cidr, created_at timestamptz,
                 members integer, live_devices integer, max_devices_per_project integer,
                 pool_size integer, pool_used integer, pool_cooling integer, pool_free integer,
                 owner_projects integer, max_projects_per_user integer,
                 trusted_cas integer, ca_not_after timestamptz, last_seen_at timestamptz)
  language sql stable security definer set search_path = '' as $$
  with s as (select * from vidsync.settings),
  pool as (
    select p.project_id,
           pg_catalog.count(*) filter (where p.device_id is not null)::integer as used,
           pg_catalog.count(*) filter (where p.device_id is null and p.reusable_after > pg_catalog.now())::integer as cooling
      from vidsync.ip_pool p group by p.project_id
  )
  select p.id, p.name, p.owner_id, p.subnet, p.created_at,
         (select pg_catalog.count(*)::integer from vidsync.project_members m where m.project_id = p.id),
         (select pg_catalog.count(*)::integer from vidsync.devices d where d.project_id = p.id and d.revoked_at is null and d.overlay_ip is not null),
         s.max_devices_per_project,
         (2 ^ (32 - pg_catalog.masklen(p.subnet)))::integer - 2,
         coalesce(pool.used, 0), coalesce(pool.cooling, 0),
         (2 ^ (32 - pg_catalog.masklen(p.subnet)))::integer - 2 - coalesce(pool.used, 0) - coalesce(pool.cooling, 0),
         (select pg_catalog.count(*)::integer from vidsync.projects o where o.owner_id = p.owner_id),
         s.max_projects_per_user,
         (select pg_catalog.count(*)::integer from vidsync.project_cas c where c.project_id = p.id and c.not_after > pg_catalog.now()),
         (select pg_catalog.max(c.not_after) from vidsync.project_cas c where c.project_id = p.id),
         (select pg_catalog.max(d.last_seen_at) from vidsync.devices d where d.project_id = p.id)
    from vidsync.projects p
    cross join s
    left join pool on pool.project_id = p.id
   order by coalesce(pool.used, 0) desc, p.created_at, p.id
$$;

-- Live devices (holding an address, not revoked) not seen — no heartbeat,
-- else no registration — for `days` days; the longest silent first. The
-- reclaim job releases them after their project's reclaim_after.
create function vidsync_api.admin_unseen_devices(days integer)
  returns table (device_id uuid, project_id uuid, project_name text, name text, owner_id uuid, ip inet,
                 last_seen_at timestamptz, unseen_for interval)
  language sql stable security definer set search_path = '' as $$
  select d.id, d.project_id, p.name, d.name, d.owner_id, d.overlay_ip,
         d.last_seen_at, pg_catalog.now() - coalesce(d.last_seen_at, d.created_at)
    from vidsync.devices d
    join vidsync.projects p on p.id = d.project_id
   where d.revoked_at is null and d.overlay_ip is not null
     and coalesce(d.last_seen_at, d.created_at) < pg_catalog.now() - vidsync.admin_window(admin_unseen_devices.days)
   order by coalesce(d.last_seen_at, d.created_at), d.id
$$;

-- Certificates that stop working within `days` days and matter: every CA
-- the project still trusts (kind 'ca'), and each live device's newest
-- unrevoked certificate (kind 'device'; an older one it has renewed past
-- does not matter). Soonest first.
create function vidsync_api.admin_expiring_certificates(days integer)
  returns table (kind text, project_id uuid, project_name text, device_id uuid, device_name text,
                 fingerprint text, not_after timestamptz, expires_in interval)
  language sql stable security definer set search_path = '' as $$
  with horizon as (select pg_catalog.now() + vidsync.admin_window(admin_expiring_certificates.days) as until),
  newest as (
    select distinct on (c.device_id) c.device_id, c.fingerprint, c.not_after
      from vidsync.issued_certificates c
     where c.revoked_at is null and c.not_after > pg_catalog.now()
     order by c.device_id, c.not_after desc
  )
  select x.kind, x.project_id, p.name, x.device_id, x.device_name, x.fingerprint, x.not_after, x.not_after - pg_catalog.now()
    from (
      select 'ca'::text as kind, c.project_id, null::uuid as device_id, null::text as device_name, c.fingerprint, c.not_after
        from vidsync.project_cas c
       where c.not_after > pg_catalog.now()
      union all
      select 'device', d.project_id, d.id, d.name, n.fingerprint, n.not_after
        from newest n join vidsync.devices d on d.id = n.device_id
       where d.revoked_at is null and d.overlay_ip is not null
    ) x
    join vidsync.projects p on p.id = x.project_id
   where x.not_after <= (select h.until from horizon h)
   order by x.not_after, x.fingerprint
$$;

-- The projects with the most audited actions in the last `days` days
-- (registrations, renewals, refusals, …; every mutating request leaves one
-- row), at most `max_rows`. Deleted projects count too, named from their
-- tombstone.
create function vidsync_api.admin_busiest_projects(days integer, max_rows integer default 20)
  returns table (project_id uuid, name text, deleted boolean, audit_rows integer, registrations integer,
                 renewals integer, refusals integer, last_activity timestamptz)
  language sql stable security definer set search_path = '' as $$
  select a.project_id, coalesce(p.name, t.name), p.id is null,
         pg_catalog.count(*)::integer,
         pg_catalog.count(*) filter (where a.action = 'device.register' and a.result = 'ok')::integer,
         pg_catalog.count(*) filter (where a.action = 'device.renew' and a.result = 'ok')::integer,
         pg_catalog.count(*) filter (where a.result <> 'ok')::integer,
         pg_catalog.max(a.at)
    from vidsync.audit_log a
    left join vidsync.projects p on p.id = a.project_id
    left join vidsync.deleted_projects t on t.id = a.project_id
   where a.project_id is not null
     and a.at > pg_catalog.now() - vidsync.admin_window(admin_busiest_projects.days)
   group by a.project_id, p.name, p.id, t.name
   order by pg_catalog.count(*) desc, a.project_id
   limit greatest(0, least(coalesce(admin_busiest_projects.max_rows, 20), 1000))
$$;

revoke all on function vidsync.admin_window(integer) from public, anon, authenticated, service_role;
revoke all on function
  vidsync_api.admin_project_usage(),
  vidsync_api.admin_unseen_devices(integer),
  vidsync_api.admin_expiring_certificates(integer),
  vidsync_api.admin_busiest_projects(integer, integer)
  from public, anon, authenticated, service_role;
grant execute on function
  vidsync_api.admin_project_usage(),
  vidsync_api.admin_unseen_devices(integer),
  vidsync_api.admin_expiring_certificates(integer),
  vidsync_api.admin_busiest_projects(integer, integer)
  to service_role;
