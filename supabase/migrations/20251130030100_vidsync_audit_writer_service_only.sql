-- Audit rows are written as the service role only: the function switches to
-- it for the row's write (store/transaction.ts asServiceRole, the request's
-- last step), and writes refusals on its own connection. A signed-in user's
-- role may no longer call the writer, so even a mistakenly exposed
-- vidsync_api would not let anyone forge audit rows.
revoke execute on function vidsync_api.append_audit(text, text, integer, text, text, uuid, uuid, inet, text) from authenticated;
