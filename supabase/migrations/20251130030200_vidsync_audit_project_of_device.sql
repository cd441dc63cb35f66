-- An audit row that names a device but no project (a per-device route that
-- left its row to app.ts, which knows only the path's device id) gets the
-- device's project, so the project's owners see it in their log.
create or replace function vidsync_api.append_audit(
  action text,
  result text,
  http_status integer,
  actor_kind text,
  actor_id text,
  project_id uuid,
  device_id uuid,
  source_ip inet,
  request_id text
) returns void
  language sql
  security definer
  set search_path = ''
as $$
  insert into vidsync.audit_log (action, result, http_status, actor_kind, actor_id, project_id, device_id, source_ip, request_id)
  values (append_audit.action, append_audit.result, append_audit.http_status, append_audit.actor_kind, append_audit.actor_id,
          coalesce(append_audit.project_id, (select d.project_id from vidsync.devices d where d.id = append_audit.device_id)),
          append_audit.device_id, append_audit.source_ip, append_audit.request_id)
$$;
