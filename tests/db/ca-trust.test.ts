// The trust rule and retirement in SQL, as the SQL editor and the function
// use them: vidsync.trusted_cas (signing; imported or superseded by an import:
// until expiry; superseded by a rotation: while a device's current certificate
// needs it, until retire_at) and vidsync_api.retire_ca (owners and admins;
// VS070 for the signing CA, VS003 for an unknown CA or project, VS004 for a
// member; anon may not call it).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TransactionSql } from 'postgres';
import { asUser, freshDatabaseWithTeam, registerDeviceAs, sqlstateOf } from '../support/db.ts';
import { fakeFingerprint as fp } from '../support/fake-certificates.ts';

const team = freshDatabaseWithTeam('trust', null);
let sql: Sql;
let owner: string;
let member: string;
let outsider: string;
let project: string;
let device: string;

const as = <T>(userId: string | null, fn: (tx: TransactionSql) => Promise<T>) => asUser(sql, userId, userId ? 'authenticated' : 'anon', fn);
const trusted = async () => (await sql<{ fingerprint: string }[]>`select fingerprint from vidsync.trusted_cas(${project})`).map((r) => r.fingerprint);

/** A CA row as the function stores a new signing CA (the earlier ones lose `active` first). */
async function signing(options: { rotation?: boolean } = {}): Promise<string> {
  const f = fp();
  if (options.rotation) await sql`update vidsync.project_cas set leaves_when_unused = true where project_id = ${project}`;
  await sql`update vidsync.project_cas set active = false where project_id = ${project} and active`;
  await sql`insert into vidsync.project_cas (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, source)
            values (${f}, ${project}, 'pem', 'v1.sealed', now() - interval '1 hour', now() + interval '1 year', ${options.rotation ? 'generated' : 'imported'})`;
  return f;
}

async function issue(ca: string): Promise<void> {
  await sql`insert into vidsync.issued_certificates (fingerprint, project_id, device_id, ca_fingerprint, ip, not_before, not_after, issued_at)
            values (${fp()}, ${project}, ${device}, ${ca}, '10.99.0.1', now(), now() + interval '1 day', clock_timestamp())`;
}

beforeAll(async () => {
  ({ sql, owner, member, stranger: outsider, project } = team);
  device = (await registerDeviceAs(sql, owner, project, 'd')).id;
});

describe('vidsync.trusted_cas', () => {
  it('keeps a CA an import superseded; drops one a rotation superseded once the device renewed; honours retire_at', async () => {
    const first = await signing();
    await issue(first);
    const imported = await signing();
    expect(await trusted()).toEqual([imported, first]);
    const rotated = await signing({ rotation: true });
    // The device still runs first's certificate: first stays; imported (no device on it) leaves.
    expect(await trusted()).toEqual([rotated, first]);
    await issue(rotated);
    expect(await trusted()).toEqual([rotated]);

    const next = await signing({ rotation: true });
    expect(await trusted()).toEqual([next, rotated]);
    await sql`update vidsync.project_cas set retire_at = now() - interval '1 second' where fingerprint = ${rotated}`;
    expect(await trusted()).toEqual([next]);
  });
});

describe('vidsync_api.retire_ca', () => {
  it('owners retire an earlier CA at once (idempotent); the signing CA is VS070; unknown VS003; a member VS004; an outsider VS003; anon may not call it', async () => {
    const earlier = (await trusted())[0]!;
    await issue(earlier);
    const now = await signing({ rotation: true });
    expect(await trusted()).toEqual([now, earlier]);
    const retire = (who: string | null, f: string, p = project) => sqlstateOf(as(who, (tx) => tx`select * from vidsync_api.retire_ca(${p}, ${f})`));
    expect(await retire(owner, now)).toBe('VS070');
    expect(await retire(owner, fp())).toBe('VS003');
    expect(await retire(owner, earlier, crypto.randomUUID())).toBe('VS003');
    expect(await retire(member, earlier)).toBe('VS004');
    expect(await retire(outsider, earlier)).toBe('VS003');
    expect(await retire(null, earlier)).toBe('42501');
    expect(await trusted()).toEqual([now, earlier]);
    const [first] = await as(owner, (tx) => tx<{ retired_at: Date }[]>`select * from vidsync_api.retire_ca(${project}, ${earlier})`);
    expect(await trusted()).toEqual([now]);
    // The SQL editor (postgres) may too; retiring again keeps the first date.
    const [again] = await sql<{ retired_at: Date }[]>`select * from vidsync_api.retire_ca(${project}, ${earlier})`;
    expect(again!.retired_at).toEqual(first!.retired_at);
    // The signing CA can never be marked retired, whoever writes.
    expect(await sqlstateOf(sql`update vidsync.project_cas set retired_at = now() where fingerprint = ${now}`)).toBe('23514');
  });
});
