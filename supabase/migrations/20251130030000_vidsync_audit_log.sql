-- The audit log: one append-only row per mutating action of the `nebula`
-- function (project creation, registration, release, CA import, and what
-- later routes add) and per refusal for authorization or rate limits.
--
-- Who writes: the function only, through vidsync_api.append_audit (a schema
-- the Data API does not expose). A successful action writes its row inside
-- the request's transaction, so the row exists exactly when the action
-- does; a refusal writes it in a short transaction of its own, since the
-- request's transaction rolls back.
-- Who reads: owners and admins of the project, through
-- public.project_audit_log (membership-checked) or GET /nebula/audit/:projectId;
-- `postgres` in the SQL editor reads the table itself.
-- No role updates a row, and none deletes one before the retention period
-- (vidsync.settings.audit_retention) has passed: a trigger refuses, for the
-- table's owner too. (A superuser or the owner can still drop the trigger:
-- the log protects against the API roles and mistakes, not against the
-- database's owner.)

alter table vidsync.settings
  add column audit_retention interval not null default '400 days'
    constraint settings_audit_retention_minimum check (audit_retention >= interval '1 day');
comment on column vidsync.settings.audit_retention is
  'How long audit rows are kept; vidsync_api.prune_audit_log() deletes older ones, nothing deletes younger ones.';

create table vidsync.audit_log (
  id bigint generated always as identity primary key,
  -- The moment of writing, not the transaction's start: a refusal row and a
  -- later success of the same caller stay in order.
  at timestamptz not null default pg_catalog.clock_timestamp(),
  -- 'user' (actor_id: the user id), 'device' (the device id, for
  -- device-signed requests), 'service' (the service role; actor_id null),
  -- 'anonymous' (no verified identity: a refused token).
  actor_kind text not null constraint audit_log_actor_kind check (actor_kind in ('user', 'device', 'service', 'anonymous')),
  actor_id text constraint audit_log_actor_id_length check (pg_catalog.length(actor_id) <= 64),
  -- e.g. 'project.create', 'device.register', 'device.release', 'ca.import'.
  action text not null constraint audit_log_action_format check (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$' and pg_catalog.length(action) <= 64),
  -- No foreign keys: the log outlives the projects and devices it names.
  project_id uuid,
  device_id uuid,
  -- 'ok', or the error code the caller got (supabase/functions/_shared/errors.ts).
  result text not null constraint audit_log_result_format check (result ~ '^[a-z][a-z0-9_]*$' and pg_catalog.length(result) <= 64),
  http_status smallint not null constraint audit_log_http_status check (http_status between 100 and 599),
  -- The client address as the platform reports it (see the function's clientIpHeader setting).
  source_ip inet,
  request_id text not null constraint audit_log_request_id_length check (pg_catalog.length(request_id) between 1 and 64)
);
comment on table vidsync.audit_log is
  'Append-only record of the nebula function''s mutating actions and refusals. Rows leave only through vidsync_api.prune_audit_log(), after vidsync.settings.audit_retention.';
create index audit_log_project_idx on vidsync.audit_log (project_id, id desc) where project_id is not null;
create index audit_log_at_idx on vidsync.audit_log (at);

alter table vidsync.audit_log enable row level security;
-- No policy: no API role reads or writes the table directly.
revoke all on vidsync.audit_log from public, anon, authenticated, service_role;

-- Append-only, enforced for every role: updates never, deletes only of rows
-- older than the retention period, truncation never.
create function vidsync.audit_log_append_only() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE'
     and old.at < pg_catalog.now() - (select s.audit_retention from vidsync.settings s) then
    return old;
  end if;
  raise exception 'the audit log is append-only: rows are never changed, and leave only after vidsync.settings.audit_retention'
    using errcode = 'VS006';
end
$$;
create trigger audit_log_append_only
  before update or delete on vidsync.audit_log
  for each row execute function vidsync.audit_log_append_only();

create function vidsync.audit_log_no_truncate() returns trigger
  language plpgsql set search_path = '' as $$
begin
  raise exception 'the audit log is append-only: it cannot be truncated' using errcode = 'VS006';
end
$$;
create trigger audit_log_no_truncate
  before truncate on vidsync.audit_log
  for each statement execute function vidsync.audit_log_no_truncate();
-- Later than the API's revoke of the schema's functions: take PUBLIC's grant back here.
revoke all on function vidsync.audit_log_append_only(), vidsync.audit_log_no_truncate() from public, anon, authenticated, service_role;

-- Writing ---------------------------------------------------------------------

-- One row, as the service role (see the grants below). A row that names a
-- device but no project (a per-device route that left its row to app.ts,
-- which knows only the path's device id) gets the device's project, so the
-- project's owners see it in their log. PL/pgSQL, which keeps the insert's
-- plan for the session: a SQL function with SET search_path is planned again
-- at every call, and every mutating request calls this.
create function vidsync_api.append_audit(
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
  language plpgsql security definer set search_path = '' as $$
begin
  insert into vidsync.audit_log (action, result, http_status, actor_kind, actor_id, project_id, device_id, source_ip, request_id)
  values (append_audit.action, append_audit.result, append_audit.http_status, append_audit.actor_kind, append_audit.actor_id,
          coalesce(append_audit.project_id, (select d.project_id from vidsync.devices d where d.id = append_audit.device_id)),
          append_audit.device_id, append_audit.source_ip, append_audit.request_id);
end
$$;
-- Only the service role writes rows: the function switches to it for the
-- write (store/transaction.ts asServiceRole, the request's last step) and
-- writes refusals on its own connection. A signed-in user's role may not call
-- the writer, so even a mistakenly exposed vidsync_api would not let anyone
-- forge audit rows.
revoke all on function vidsync_api.append_audit(text, text, integer, text, text, uuid, uuid, inet, text) from public, anon, authenticated;
grant execute on function vidsync_api.append_audit(text, text, integer, text, text, uuid, uuid, inet, text) to service_role;

-- Retention -------------------------------------------------------------------

-- Deletes the rows older than vidsync.settings.audit_retention; returns how
-- many. Schedule it with pg_cron where available (below), or call it.
create function vidsync_api.prune_audit_log() returns bigint
  language plpgsql security definer set search_path = '' as $$
declare
  pruned bigint;
begin
  delete from vidsync.audit_log l
   where l.at < pg_catalog.now() - (select s.audit_retention from vidsync.settings s);
  get diagnostics pruned = row_count;
  return pruned;
end
$$;
revoke all on function vidsync_api.prune_audit_log() from public, anon, authenticated;
grant execute on function vidsync_api.prune_audit_log() to service_role;

-- Daily at 03:17 when pg_cron is installed (hosted projects: enable it in the
-- dashboard, then re-run this block or schedule it by hand; see the README).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('vidsync-prune-audit-log', '17 3 * * *', 'select vidsync_api.prune_audit_log()')$cron$;
  end if;
end
$$;

-- Reading ---------------------------------------------------------------------

-- A project's log, newest first, `max_rows` (1–500) rows with id < `before`
-- (null: from the newest), optionally only one action's or one device's
-- rows. The filters apply before the limit (a filter after paging would show
-- near-empty pages and a "load more" that never ends); the project's index
-- (project_id, id desc) drives the scan. Owners and admins of the project,
-- and privileged callers. A caller who is no member learns nothing about the
-- project: VS003 whether it exists or not; a plain member gets VS004.
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
  language plpgsql stable security definer set search_path = '' as $$
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
