-- The input rules of 20251130060000 and 20251130061000, at a fraction of
-- their cost on every registration (they had added ~240 µs of SQL to it,
-- as the function's role; scripts/bench/api.ts measures register end to end).
--
-- * The display-text helpers are single expressions that Postgres inlines
--   into their callers (a SQL function with SET search_path is never
--   inlined, and each call saved and restored the setting). They need no
--   search_path: every function and operator they use is schema-qualified,
--   and none is security definer. Same rule, same results
--   (tests/db/limits.test.ts runs every code point through them).
-- * The name trigger checks a name only when it changes, and uniqueness only
--   when a device comes to hold an address or changes its name: a device's
--   allocation (overlay_ip set) no longer re-validates the name it was
--   inserted with.
-- * check_device_quota asks whether the caller is a member first, and the
--   catalog whether the caller is privileged only for non-members.

create or replace function vidsync.forbidden_text_class() returns text
  language sql immutable parallel safe
as $$
  select '[\u0001-\u001F\u007F-\u009F\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891\u08E2\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]'::text
$$;
alter function vidsync.forbidden_text_class() reset search_path;

create or replace function vidsync.has_forbidden_text_chars(value text) returns boolean
  language sql immutable strict parallel safe
as $$
  select has_forbidden_text_chars.value operator(pg_catalog.~) vidsync.forbidden_text_class()
$$;
alter function vidsync.has_forbidden_text_chars(text) reset search_path;

create or replace function vidsync.trim_display_text(value text) returns text
  language sql immutable strict parallel safe
as $$
  select pg_catalog.btrim(trim_display_text.value, U&' \00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\202F\205F\3000')
$$;
alter function vidsync.trim_display_text(text) reset search_path;

create or replace function vidsync.is_display_text(value text, max_chars integer) returns boolean
  language sql immutable parallel safe
as $$
  select is_display_text.value is not null
     and not (is_display_text.value operator(pg_catalog.~) vidsync.forbidden_text_class())
     and pg_catalog.length(is_display_text.value) operator(pg_catalog.<=) is_display_text.max_chars
     and pg_catalog.length(vidsync.trim_display_text(is_display_text.value)) operator(pg_catalog.>) 0
$$;
alter function vidsync.is_display_text(text, integer) reset search_path;

create or replace function vidsync.devices_name_valid() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  renamed boolean := tg_op = 'INSERT' or new.name is distinct from old.name;
begin
  if renamed then
    if not vidsync.is_display_text(new.name, 64) then
      raise exception 'a device name has 1 to 64 characters, none of them a control, bidirectional or invisible character'
        using errcode = 'VS005';
    end if;
    new.name := vidsync.trim_display_text(new.name);
  end if;
  if new.overlay_ip is not null
     and (renamed or old.overlay_ip is null or new.project_id is distinct from old.project_id)
     and exists (
       select 1 from vidsync.devices d
        where d.project_id = new.project_id and d.overlay_ip is not null and d.id <> new.id
          and vidsync.device_name_key(d.name) = vidsync.device_name_key(new.name)
     ) then
    raise exception 'another device of the project is named "%"', new.name using errcode = 'VS030';
  end if;
  return new;
end
$$;

create or replace function vidsync.projects_name_valid() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    if not vidsync.is_display_text(new.name, 100) then
      raise exception 'a project name has 1 to 100 characters, none of them a control, bidirectional or invisible character'
        using errcode = 'VS005';
    end if;
    new.name := vidsync.trim_display_text(new.name);
  end if;
  return new;
end
$$;

create or replace function vidsync_api.check_device_quota(project uuid, device uuid, owner_id uuid default null) returns void
  language plpgsql stable
  security definer
  set search_path = ''
as $$
declare
  s vidsync.settings;
  member uuid := coalesce(check_device_quota.owner_id, auth.uid());
  n integer;
begin
  if vidsync.member_role(check_device_quota.project, member) is null and not vidsync.caller_is_privileged() then
    raise exception 'project % not found', check_device_quota.project using errcode = 'VS003';
  end if;
  if exists (select 1 from vidsync.devices d
             where d.id = check_device_quota.device and d.project_id = check_device_quota.project and d.overlay_ip is not null) then
    return;
  end if;
  select * into s from vidsync.settings;
  select pg_catalog.count(*)::integer into n
  from vidsync.devices d where d.project_id = check_device_quota.project and d.overlay_ip is not null;
  if n >= s.max_devices_per_project then
    raise exception 'project % already has % devices (the quota per project)', check_device_quota.project, s.max_devices_per_project
      using errcode = 'VS011', hint = 'release a device first';
  end if;
  if member is not null then
    select pg_catalog.count(*)::integer into n
    from vidsync.devices d
    where d.owner_id = member and d.project_id = check_device_quota.project and d.overlay_ip is not null;
    if n >= s.max_devices_per_member then
      raise exception 'you already have % devices in project % (the quota per member)', s.max_devices_per_member, check_device_quota.project
        using errcode = 'VS011', hint = 'release one of your devices first';
    end if;
  end if;
end
$$;
