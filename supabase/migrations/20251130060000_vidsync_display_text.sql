-- Display text, held by the database as by the edge.
--
-- A device's or project's name and a release reason may hold no control,
-- line-breaking, bidirectional or invisible character, have at most N code
-- points and not be blank; names are stored trimmed. The same rule as
-- supabase/functions/_shared/display-text.ts (tests/db/limits.test.ts runs
-- every code point and a corpus of names through both). Triggers rather than
-- CHECKs, so that a refusal carries VS005 whoever writes the row.
--
-- Device names are unique among a project's live devices (those holding an
-- address), compared case-insensitively after NFKC normalization: "Laptop",
-- "LAPTOP" and "ｌａｐｔｏｐ" are one name (VS030, device_name_taken). A
-- released device keeps its name without blocking a new one.

-- The helpers are single expressions that Postgres inlines into their
-- callers (a SQL function with SET search_path is never inlined, and each
-- call would save and restore the setting: 18 µs instead of 0.8 per check).
-- They need no search_path: every function and operator they use is
-- schema-qualified, and none is security definer.

-- A regular expression class of the characters of FORBIDDEN_TEXT_RANGES
-- (display-text.ts), but for the surrogates and NUL, which a Postgres text
-- cannot hold.
create function vidsync.forbidden_text_class() returns text
  language sql immutable parallel safe as $$
  select '[\u0001-\u001F\u007F-\u009F\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891\u08E2\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]'::text
$$;

create function vidsync.has_forbidden_text_chars(value text) returns boolean
  language sql immutable strict parallel safe as $$
  select has_forbidden_text_chars.value operator(pg_catalog.~) vidsync.forbidden_text_class()
$$;

-- The value without leading and trailing space separators (DISPLAY_TEXT_SPACES).
create function vidsync.trim_display_text(value text) returns text
  language sql immutable strict parallel safe as $$
  select pg_catalog.btrim(trim_display_text.value, U&' \00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\202F\205F\3000')
$$;

-- isDisplayText(value, maxChars) of display-text.ts.
create function vidsync.is_display_text(value text, max_chars integer) returns boolean
  language sql immutable parallel safe as $$
  select is_display_text.value is not null
     and not (is_display_text.value operator(pg_catalog.~) vidsync.forbidden_text_class())
     and pg_catalog.length(is_display_text.value) operator(pg_catalog.<=) is_display_text.max_chars
     and pg_catalog.length(vidsync.trim_display_text(is_display_text.value)) operator(pg_catalog.>) 0
$$;

-- `value` trimmed, when it is display text of at most `max_chars`
-- characters; VS005 otherwise, naming `what` ('device name', 'project
-- name', 'release reason'). The one refusal of the name triggers below and
-- of vidsync.release_ip. PL/pgSQL: it raises, so it is no single expression.
create function vidsync.require_display_text(value text, max_chars integer, what text) returns text
  language plpgsql immutable parallel safe set search_path = '' as $$
begin
  if not vidsync.is_display_text(require_display_text.value, require_display_text.max_chars) then
    raise exception 'a % has 1 to % characters, none of them a control, bidirectional or invisible character',
      require_display_text.what, require_display_text.max_chars
      using errcode = 'VS005';
  end if;
  return vidsync.trim_display_text(require_display_text.value);
end
$$;
revoke all on function vidsync.require_display_text(text, integer, text) from public, anon, authenticated, service_role;
-- The name triggers call it as whoever writes the row.
grant execute on function vidsync.require_display_text(text, integer, text) to authenticated, service_role;

-- The form in which two names are the same name: NFKC (compatibility forms,
-- such as fullwidth letters and ligatures, become their plain letters),
-- then case-folded (upper then lower, so that "ß" and "SS" meet), runs of
-- spaces made one. Case mapping needs a Unicode-aware collation, whatever
-- the database's own: ICU's root locale where Postgres has ICU, else
-- Postgres 17's built-in C.UTF-8.
do $$
declare
  collation_name text;
begin
  select c into collation_name
    from pg_catalog.unnest(array['und-x-icu', 'pg_c_utf8']) with ordinality as t(c, n)
   where exists (select 1 from pg_catalog.pg_collation pc where pc.collname = t.c)
   order by n limit 1;
  if collation_name is null then
    raise exception 'vidsync needs the ICU collation und-x-icu or Postgres 17''s pg_c_utf8 to compare device names';
  end if;
  -- PL/pgSQL, not SQL: the unique index and the name trigger call it once
  -- per statement, and a SQL function with SET search_path is planned again
  -- at each such call (about 50 µs; PL/pgSQL keeps its plan: about 4).
  execute pg_catalog.format($fn$
    create function vidsync.device_name_key(name text) returns text
      language plpgsql immutable strict parallel safe set search_path = ''
    as $body$
    begin
      return pg_catalog.btrim(pg_catalog.regexp_replace(
               pg_catalog.normalize(
                 pg_catalog.lower(pg_catalog.upper(pg_catalog.normalize(device_name_key.name, 'NFKC') collate %1$I) collate %1$I),
                 'NFKC'),
               ' {2,}', ' ', 'g'));
    end
    $body$
  $fn$, collation_name);
end
$$;

-- The guarantee, whatever the order of concurrent registrations.
create unique index devices_live_name_unique on vidsync.devices (project_id, vidsync.device_name_key(name))
  where overlay_ip is not null;

-- A device's name is display text of at most 64 characters (stored trimmed),
-- and no other live device of the project has it. The unique index decides
-- races; this check gives the usual case its own SQLSTATE. A name is checked
-- only when it changes, uniqueness only when a device comes to hold an
-- address or changes its name (an allocation does not re-check the name).
create function vidsync.devices_name_valid() returns trigger
  language plpgsql set search_path = '' as $$
declare
  renamed boolean := tg_op = 'INSERT' or new.name is distinct from old.name;
begin
  if renamed then
    new.name := vidsync.require_display_text(new.name, 64, 'device name');
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
create trigger devices_name_valid
  before insert or update of name, overlay_ip, project_id on vidsync.devices
  for each row execute function vidsync.devices_name_valid();

create function vidsync.projects_name_valid() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    new.name := vidsync.require_display_text(new.name, 100, 'project name');
  end if;
  return new;
end
$$;
create trigger projects_name_valid
  before insert or update of name on vidsync.projects
  for each row execute function vidsync.projects_name_valid();

-- Release reasons.
alter table vidsync.ip_allocations
  add constraint ip_allocations_release_reason_text
  check (release_reason is null or vidsync.is_display_text(release_reason, 200));

-- Grants ---------------------------------------------------------------------------------

revoke all on function
  vidsync.forbidden_text_class(),
  vidsync.has_forbidden_text_chars(text),
  vidsync.trim_display_text(text),
  vidsync.is_display_text(text, integer),
  vidsync.device_name_key(text),
  vidsync.devices_name_valid(),
  vidsync.projects_name_valid()
from public, anon, authenticated, service_role;
-- Pure functions the tables' triggers, constraints and index call as whoever writes a row.
grant execute on function
  vidsync.forbidden_text_class(),
  vidsync.has_forbidden_text_chars(text),
  vidsync.trim_display_text(text),
  vidsync.is_display_text(text, integer),
  vidsync.device_name_key(text)
to authenticated, service_role;
