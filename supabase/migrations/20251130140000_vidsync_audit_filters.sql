-- The audit log filtered by action and by device, for the dashboard's audit
-- view: a filter applied after paging would show near-empty pages and a
-- "load more" that never ends, so the database filters before it limits.
-- Same checks as before (owners and admins; a non-member learns nothing:
-- VS003; a plain member VS004); the two new arguments default to null (no
-- filter), so every existing call keeps its meaning. The project's index
-- (project_id, id desc) still drives the scan.
drop function public.project_audit_log(uuid, bigint, integer);

create function public.project_audit_log(
  project uuid,
  before bigint default null,
  max_rows integer default 50,
  only_action text default null,
  only_device uuid default null
)
  returns table (
    id bigint,
    at timestamptz,
    actor_kind text,
    actor_id text,
    action text,
    project_id uuid,
    device_id uuid,
    result text,
    http_status smallint,
    source_ip inet,
    request_id text
  )
  language plpgsql
  stable
  security definer
  set search_path = ''
as $$
declare
  caller_role text;
begin
  if not vidsync.caller_is_privileged() then
    caller_role := vidsync.member_role(project_audit_log.project, (select auth.uid()));
    if caller_role is null then
      raise exception 'project % not found', project_audit_log.project using errcode = 'VS003';
    end if;
    if caller_role not in ('owner', 'admin') then
      raise exception 'reading the audit log of project % requires role owner or admin', project_audit_log.project using errcode = 'VS004';
    end if;
  end if;
  if project_audit_log.max_rows is null or project_audit_log.max_rows not between 1 and 500 then
    raise exception 'max_rows must be between 1 and 500' using errcode = 'VS005';
  end if;
  return query
    select l.id, l.at, l.actor_kind, l.actor_id, l.action, l.project_id, l.device_id, l.result, l.http_status, l.source_ip, l.request_id
      from vidsync.audit_log l
     where l.project_id = project_audit_log.project
       and (project_audit_log.before is null or l.id < project_audit_log.before)
       and (project_audit_log.only_action is null or l.action = project_audit_log.only_action)
       and (project_audit_log.only_device is null or l.device_id = project_audit_log.only_device)
     order by l.id desc
     limit project_audit_log.max_rows;
end
$$;
revoke all on function public.project_audit_log(uuid, bigint, integer, text, uuid) from public, anon;
grant execute on function public.project_audit_log(uuid, bigint, integer, text, uuid) to authenticated, service_role;
