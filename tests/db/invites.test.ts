// Invites and members in SQL (migration 20251130080000): redemption is
// atomic (50 concurrent redemptions of a 5-use invite in 50 real concurrent
// transactions make exactly 5 members), each dead invite has its own
// SQLSTATE (VS050 expired, VS051 revoked, VS052 used up, VS053 unknown), a
// member redeeming again counts no use, and removing a member revokes their
// devices in the same transaction; the last owner stays (VS054).
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asUser, createUser, freshDatabaseWithTeam, sqlstateOf } from '../support/db.ts';
import { canonicalInviteCode } from '../../supabase/functions/_shared/http/people-schemas.ts';
import { generateInviteCode } from '../../supabase/functions/nebula/routes/invites.ts';

const db = freshDatabaseWithTeam('people', '10.66.0.0/16', { max: 60 });

const hashOf = (code: string) => createHash('sha256').update(code).digest();

async function invite(by: string, role = 'member', maxUses = 5, seconds = 3600): Promise<{ id: string; hash: Buffer }> {
  const hash = hashOf(randomBytes(16).toString('hex'));
  const [row] = await asUser(db.sql, by, 'authenticated', (tx) => tx<{ invite_id: string }[]>`
    select invite_id from vidsync_api.create_invite(${db.project}, ${hash}, ${role}, ${maxUses}, ${seconds})`);
  return { id: row!.invite_id, hash };
}

const redeem = (user: string, hash: Buffer) =>
  asUser(db.sql, user, 'authenticated', (tx) => tx<{ project_id: string; role: string; joined: boolean }[]>`select * from vidsync_api.redeem_invite(${hash})`);


describe('invite codes', () => {
  it('are 25 base32 characters in five groups (125 bits), distinct, and read back from what a person types', () => {
    const codes = Array.from({ length: 200 }, generateInviteCode);
    for (const c of codes) expect(c).toMatch(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$/);
    expect(new Set(codes).size).toBe(codes.length);
    const c = codes[0]!;
    expect(canonicalInviteCode(` ${c.toLowerCase().replace(/-/g, ' ')} `)).toBe(c);
    expect(canonicalInviteCode('OIBAA-AAAAA-AAAAA-AAAAA-AAAAA'.replace('OIB', '018'))).toBe('OIBAA-AAAAA-AAAAA-AAAAA-AAAAA');
    expect(canonicalInviteCode('ABCDE-FGHIJ')).toBeUndefined();
    expect(canonicalInviteCode('ABCDE-FGHIJ-KLMNO-PQRST-UVWX9')).toBeUndefined();
  });

  it('are stored only as a SHA-256 hash', async () => {
    const { id, hash } = await invite(db.owner);
    const [row] = await db.sql<{ code_hash: Buffer }[]>`select code_hash from vidsync.project_invites where id = ${id}`;
    expect(Buffer.compare(row!.code_hash, hash)).toBe(0);
  });
});

describe('vidsync_api.redeem_invite', () => {
  it('50 concurrent redemptions of a 5-use invite in 50 transactions make exactly 5 members', async () => {
    const { id, hash } = await invite(db.admin, 'member', 5);
    const users = await Promise.all(Array.from({ length: 50 }, () => createUser(db.sql)));
    const outcomes = await Promise.all(users.map((u) => sqlstateOf(redeem(u, hash))));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'VS052')).toHaveLength(45);
    const [counts] = await db.sql<{ members: number; uses: number }[]>`
      select (select count(*)::int from vidsync.project_members where project_id = ${db.project} and user_id = any(${users}::uuid[])) as members,
             (select uses from vidsync.project_invites where id = ${id}) as uses`;
    expect(counts).toEqual({ members: 5, uses: 5 });
  });

  it('makes the caller a member with the invite\'s role; again, idempotent with no use counted', async () => {
    const { id, hash } = await invite(db.owner, 'admin', 2);
    const u = await createUser(db.sql);
    expect(await redeem(u, hash)).toEqual([{ project_id: db.project, role: 'admin', joined: true }]);
    expect(await redeem(u, hash)).toEqual([{ project_id: db.project, role: 'admin', joined: false }]);
    expect((await db.sql`select uses from vidsync.project_invites where id = ${id}`)[0]!.uses).toBe(1);
  });

  it('distinct SQLSTATEs: expired VS050, revoked VS051, used up VS052, unknown VS053; anon VS004', async () => {
    const expired = await invite(db.owner);
    await db.sql`update vidsync.project_invites set expires_at = now() - interval '1 second' where id = ${expired.id}`;
    const revoked = await invite(db.owner);
    await asUser(db.sql, db.admin, 'authenticated', (tx) => tx`select vidsync_api.revoke_invite(${db.project}, ${revoked.id})`);
    const used = await invite(db.owner, 'member', 1);
    await redeem(await createUser(db.sql), used.hash);
    const u = await createUser(db.sql);
    expect(await sqlstateOf(redeem(u, expired.hash))).toBe('VS050');
    expect(await sqlstateOf(redeem(u, revoked.hash))).toBe('VS051');
    expect(await sqlstateOf(redeem(u, used.hash))).toBe('VS052');
    expect(await sqlstateOf(redeem(u, hashOf('nope')))).toBe('VS053');
    expect(await sqlstateOf(asUser(db.sql, null, 'anon', (tx) => tx`select * from vidsync_api.redeem_invite(${used.hash})`))).toBe('42501');
  });

  it('create_invite: owners and admins only, within bounds; list never has a code', async () => {
    expect(await sqlstateOf(invite(db.member))).toBe('VS004');
    expect(await sqlstateOf(invite(db.stranger))).toBe('VS003');
    expect(await sqlstateOf(invite(db.owner, 'owner'))).toBe('VS005');
    expect(await sqlstateOf(invite(db.owner, 'member', 0))).toBe('VS005');
    expect(await sqlstateOf(invite(db.owner, 'member', 1001))).toBe('VS005');
    expect(await sqlstateOf(invite(db.owner, 'member', 1, 59))).toBe('VS005');
    expect(await sqlstateOf(invite(db.owner, 'member', 1, 30 * 86400 + 1))).toBe('VS005');
    const rows = await asUser(db.sql, db.admin, 'authenticated', (tx) => tx<Record<string, unknown>[]>`select * from vidsync_api.list_invites(${db.project})`);
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(rows[0]!)).not.toContain('code_hash');
    expect(await sqlstateOf(asUser(db.sql, db.member, 'authenticated', (tx) => tx`select * from vidsync_api.list_invites(${db.project})`))).toBe('VS004');
  });
});

describe('vidsync_api.remove_member', () => {
  it('revokes and releases every device of the member in the same transaction; they can no longer register', async () => {
    const u = await createUser(db.sql);
    await redeem(u, (await invite(db.owner)).hash);
    const devices = [crypto.randomUUID(), crypto.randomUUID()];
    for (const d of devices) {
      await asUser(db.sql, u, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${db.project}, ${d}, ${`dev ${d}`}, ${`key-${d}`})`);
    }
    const [removed] = await asUser(db.sql, db.admin, 'authenticated', (tx) => tx<{ revoked_devices: number }[]>`select * from vidsync_api.remove_member(${db.project}, ${u})`);
    expect(removed!.revoked_devices).toBe(2);
    const rows = await db.sql<{ revoked: boolean; ip: string | null }[]>`select revoked_at is not null as revoked, overlay_ip::text as ip from vidsync.devices where id = any(${devices}::uuid[])`;
    expect(rows).toEqual([{ revoked: true, ip: null }, { revoked: true, ip: null }]);
    const again = crypto.randomUUID();
    expect(await sqlstateOf(asUser(db.sql, u, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${db.project}, ${again}, 'again', 'key-again')`))).toBe('VS003');
  });

  it('a member may leave; a member may not remove another; an admin may not remove an owner; the last owner stays (VS054)', async () => {
    const u = await createUser(db.sql);
    await redeem(u, (await invite(db.owner)).hash);
    expect(await sqlstateOf(asUser(db.sql, db.member, 'authenticated', (tx) => tx`select * from vidsync_api.remove_member(${db.project}, ${u})`))).toBe('VS004');
    expect(await sqlstateOf(asUser(db.sql, u, 'authenticated', (tx) => tx`select * from vidsync_api.remove_member(${db.project}, ${u})`))).toBe('ok');
    expect(await sqlstateOf(asUser(db.sql, db.admin, 'authenticated', (tx) => tx`select * from vidsync_api.remove_member(${db.project}, ${db.owner})`))).toBe('VS004');
    expect(await sqlstateOf(asUser(db.sql, db.owner, 'authenticated', (tx) => tx`select * from vidsync_api.remove_member(${db.project}, ${db.owner})`))).toBe('VS054');
    const members = await asUser(db.sql, db.member, 'authenticated', (tx) => tx<{ user_id: string; role: string }[]>`select user_id, role from vidsync_api.list_members(${db.project})`);
    expect(members[0]).toMatchObject({ user_id: db.owner, role: 'owner' });
  });
});
