-- Nothing tells a caller whether a project or device they may not see
-- exists. Not a member of the project is answered as not found (VS003),
-- exactly as an unknown id is; only a member, who may see the thing, hears
-- that they may not do this to it (VS004). Through the edge function: 404
-- not_found for the first, 403 forbidden for the second, on every route.

-- VS003 when the project does not exist or the caller is not a member (the
-- same answer: a non-member learns nothing), VS004 when a member lacks the role.
create or replace function vidsync.require_project_role(project_id uuid, user_id uuid, roles text[]) returns void
  language plpgsql stable
  set search_path = ''
as $$
declare
  caller_role text;
begin
  if vidsync.caller_is_privileged() then
    if not exists (select 1 from vidsync.projects p where p.id = require_project_role.project_id) then
      raise exception 'project % not found', require_project_role.project_id using errcode = 'VS003';
    end if;
    return;
  end if;
  caller_role := vidsync.member_role(require_project_role.project_id, require_project_role.user_id);
  if caller_role is null then
    raise exception 'project % not found', require_project_role.project_id using errcode = 'VS003';
  end if;
  if caller_role <> all (require_project_role.roles) then
    raise exception 'requires role % in project %', pg_catalog.array_to_string(require_project_role.roles, ' or '), require_project_role.project_id
      using errcode = 'VS004';
  end if;
end
$$;

-- VS003 for an unknown device and for one in a project the caller is not a
-- member of; VS004 when a member may see it but not manage it. Returns the
-- device's project.
create or replace function vidsync.require_device_access(device_id uuid, user_id uuid, manage boolean) returns uuid
  language plpgsql stable
  set search_path = ''
as $$
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

-- register_device, as before but for what it answers: not a member of the
-- project is VS003 like an unknown project; a device id of another member of
-- the same project is VS004 (the caller sees that device); a device id in a
-- project the caller cannot see is VS003 (only a privileged caller, who sees
-- everything, hears VS006). The name is checked as display text.
create or replace function vidsync_api.register_device(
  project uuid,
  device uuid,
  name text,
  public_key text,
  is_lighthouse boolean default false,
  lighthouse_endpoints text[] default '{}',
  syncthing_device_id text default null,
  owner_id uuid default null
) returns table (device_id uuid, ip inet, subnet cidr)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict error
declare
  actor uuid := auth.uid();
  -- Asked only where it matters (a catalog lookup): a user registering
  -- their own, non-lighthouse device never needs it.
  device_owner uuid;
  owner_role text;
  endpoint text;
  existing_project uuid;
begin
  if register_device.owner_id is not null and register_device.owner_id is distinct from actor and not vidsync.caller_is_privileged() then
    raise exception 'only the service role may register a device for another user' using errcode = 'VS004';
  end if;
  device_owner := coalesce(register_device.owner_id, actor);
  if device_owner is null then
    if vidsync.caller_is_privileged() then
      raise exception 'owner_id is required when no user is calling' using errcode = 'VS005';
    end if;
    raise exception 'no user is calling' using errcode = 'VS004';
  end if;
  select p.subnet into subnet from vidsync.projects p where p.id = register_device.project;
  owner_role := vidsync.member_role(register_device.project, device_owner);
  if subnet is null or owner_role is null then
    raise exception 'project % not found', register_device.project using errcode = 'VS003';
  end if;

  if register_device.device is null then
    raise exception 'a device id is required' using errcode = 'VS005';
  end if;
  -- The rules of the devices table (and of supabase/functions/_shared), checked
  -- here first so that a caller hears which one failed.
  if not vidsync.is_display_text(register_device.name, 64) then
    raise exception 'a device name has 1 to 64 characters, none of them a control, bidirectional or invisible character'
      using errcode = 'VS005';
  end if;
  if register_device.public_key is null or pg_catalog.length(register_device.public_key) not between 1 and 1024 then
    raise exception 'a public key has 1 to 1024 characters' using errcode = 'VS005';
  end if;
  if coalesce(register_device.is_lighthouse, false) then
    if owner_role not in ('owner', 'admin') and not vidsync.caller_is_privileged() then
      raise exception 'only a project owner or admin may register a lighthouse' using errcode = 'VS004';
    end if;
    if coalesce(pg_catalog.cardinality(register_device.lighthouse_endpoints), 0) = 0 then
      raise exception 'a lighthouse needs at least one public endpoint (host:port)' using errcode = 'VS005';
    end if;
    if pg_catalog.cardinality(register_device.lighthouse_endpoints) > 8 then
      raise exception 'a lighthouse has at most 8 endpoints' using errcode = 'VS005';
    end if;
    foreach endpoint in array register_device.lighthouse_endpoints loop
      if not coalesce(vidsync.is_endpoint(endpoint), false) then
        raise exception 'not a host:port endpoint: %', pg_catalog.left(endpoint, 300) using errcode = 'VS005';
      end if;
    end loop;
  elsif coalesce(pg_catalog.cardinality(register_device.lighthouse_endpoints), 0) > 0 then
    raise exception 'only lighthouses have public endpoints' using errcode = 'VS005';
  end if;

  -- Insert, or update the existing row of the same user and project; a
  -- concurrent registration of the same new id waits for ours here.
  insert into vidsync.devices as d
    (id, project_id, owner_id, name, public_key, is_lighthouse, lighthouse_endpoints, syncthing_device_id, last_seen_at)
  values
    (register_device.device, register_device.project, device_owner, vidsync.trim_display_text(register_device.name), register_device.public_key,
     coalesce(register_device.is_lighthouse, false), coalesce(register_device.lighthouse_endpoints, '{}'),
     register_device.syncthing_device_id, pg_catalog.now())
  on conflict on constraint devices_pkey do update set
    name = excluded.name,
    public_key = excluded.public_key,
    is_lighthouse = excluded.is_lighthouse,
    lighthouse_endpoints = excluded.lighthouse_endpoints,
    -- A re-registration without an ID keeps the one set before (PUT /devices/:id/syncthing).
    syncthing_device_id = coalesce(excluded.syncthing_device_id, d.syncthing_device_id),
    last_seen_at = excluded.last_seen_at,
    updated_at = pg_catalog.now()
  where d.project_id = excluded.project_id and d.owner_id = excluded.owner_id;
  if not found then
    select x.project_id into existing_project from vidsync.devices x where x.id = register_device.device;
    if vidsync.caller_is_privileged() then
      raise exception 'device % is registered to another user or in another project', register_device.device using errcode = 'VS006';
    end if;
    if existing_project = register_device.project then
      raise exception 'device % belongs to another member of the project', register_device.device using errcode = 'VS004';
    end if;
    raise exception 'device % not found in project %', register_device.device, register_device.project using errcode = 'VS003';
  end if;

  device_id := register_device.device;
  ip := vidsync.allocate_ip(register_device.project, register_device.device, actor);
  return next;
end
$$;

