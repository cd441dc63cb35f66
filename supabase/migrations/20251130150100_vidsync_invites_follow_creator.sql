-- An invite is worth no more than its creator still is (review of
-- 2026-11-30, tests/api/review-attacks.test.ts).
--
-- Removing an admin (or demoting them to member) left every code they had
-- made redeemable: an admin invite of up to 1000 uses and 30 days went on
-- making admins — the removed admin's own second account among them — and
-- their device codes went on enrolling devices. Now a code redeems only
-- while its creator is still an owner or admin of the project, i.e. could
-- make it now; otherwise it answers as revoked (VS051, 410 invite_revoked),
-- as a device code of a creator who left already did. Nothing is destroyed:
-- made an admin again, the creator's codes work again until they expire.
-- Invites made by the service role or the SQL editor (no creator) are not
-- tied to anyone. enroll_device applies the same rule (migration
-- 20251130150000).
create or replace function vidsync_api.redeem_invite(code_hash bytea)
  returns table (project_id uuid, role text, joined boolean)
  language plpgsql
  security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  i vidsync.project_invites;
  existing text;
begin
  if auth.uid() is null then
    raise exception 'only a signed-in user may redeem an invite' using errcode = 'VS004';
  end if;
  select * into i from vidsync.project_invites x
   where x.code_hash = redeem_invite.code_hash and x.kind = 'member' for update;
  if not found then
    raise exception 'no invite has this code' using errcode = 'VS053';
  end if;
  project_id := i.project_id;
  existing := vidsync.member_role(i.project_id, auth.uid());
  if existing is not null then
    role := existing;
    joined := false;
    return next;
    return;
  end if;
  if i.revoked_at is not null then
    raise exception 'this invite was revoked' using errcode = 'VS051';
  end if;
  if i.created_by is not null and coalesce(vidsync.member_role(i.project_id, i.created_by) in ('owner', 'admin'), false) is false then
    raise exception 'the member who made this invite has left the project or may no longer make invites' using errcode = 'VS051';
  end if;
  if i.expires_at <= pg_catalog.now() then
    raise exception 'this invite expired at %', i.expires_at using errcode = 'VS050';
  end if;
  if i.uses >= i.max_uses then
    raise exception 'this invite was used % times, its limit', i.max_uses using errcode = 'VS052';
  end if;
  update vidsync.project_invites x set uses = x.uses + 1 where x.id = i.id;
  insert into vidsync.project_members (project_id, user_id, role) values (i.project_id, auth.uid(), i.role);
  role := i.role;
  joined := true;
  return next;
end
$$;
