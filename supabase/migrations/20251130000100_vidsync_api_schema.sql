-- The function's SQL API leaves the Data API's reach.
--
-- On a hosted project PostgREST exposes `public` (and `graphql_public`): any
-- function there that `authenticated` may execute is callable by every
-- signed-in user at /rest/v1/rpc/<name>, with no edge function in between.
-- Called that way, create_project made a project without a CA, and
-- register_device handed out addresses with no certificate and no key check.
-- These functions are steps of a request that only the `nebula` function
-- completes (it signs, records the certificate and builds the bundle in the
-- same transaction), so they move to `vidsync_api`, a schema the Data API
-- does not expose. Never add it to the project's exposed schemas.
--
-- Who calls them: the function (as the caller's role, `authenticated` or
-- `service_role`, inside the request's transaction) and people in the SQL
-- editor (`postgres`). What stays in `public` is read-only and checks
-- membership itself, so any signed-in user may call it directly.

create schema vidsync_api;
comment on schema vidsync_api is
  'VidSync''s SQL API for the nebula function and the SQL editor. Not exposed by the Data API: keep it out of the exposed schemas.';
revoke all on schema vidsync_api from public;
grant usage on schema vidsync_api to authenticated, service_role;

-- Grants and the function bodies (schema-qualified, search_path = '') move along.
alter function public.create_project(text, cidr, uuid) set schema vidsync_api;
alter function public.add_project_member(uuid, uuid, text) set schema vidsync_api;
alter function public.populate_project_pool(uuid, cidr) set schema vidsync_api;
alter function public.register_device(uuid, uuid, text, text, boolean, text[], text, uuid) set schema vidsync_api;
alter function public.allocate_nebula_ip(uuid, uuid, uuid) set schema vidsync_api;
alter function public.release_nebula_ip(uuid, text) set schema vidsync_api;

-- New functions in vidsync_api are not executable by anyone until granted.
alter default privileges in schema vidsync_api revoke execute on functions from public;
