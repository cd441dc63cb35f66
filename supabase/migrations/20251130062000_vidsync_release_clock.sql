-- A release stamps reusable_after from the clock after it has locked the
-- device, not from now() (the start of its transaction).
--
-- A registration holds the device's row lock from its upsert until it
-- commits, and signs the certificate by the database's clock read under that
-- lock (the nebula function's store/settings.ts, signingClock), for at most
-- the cooling interval. A release of the device waits for the lock; with
-- now() it stamped the time its transaction began, which could be before the
-- registration signed: the certificate then stayed valid past the IP's
-- reusable_after by as long as the release had waited (5 s was reproduced).
-- The clock after the lock is later than the one the registration read.
--
-- The reason, when given, is display text of at most 200 characters (VS005).

create or replace function vidsync.release_ip(device_id uuid, released_by uuid, reason text) returns boolean
  language plpgsql
  set search_path = ''
as $$
declare
  released inet;
  cooling interval;
  stamp timestamptz;
begin
  if release_ip.reason is not null and not vidsync.is_display_text(release_ip.reason, 200) then
    raise exception 'a release reason has 1 to 200 characters, none of them a control, bidirectional or invisible character'
      using errcode = 'VS005';
  end if;
  perform 1 from vidsync.devices d where d.id = release_ip.device_id for update;
  if not found then
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
