// Row-level security of the certificate tables (the nebula function's
// migration): no user role can read a project's CA row, even its sealed key;
// issued certificates are visible to the project's members only; only the
// service role writes either table; who may import a CA is decided by
// vidsync.authorize_ca_import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TransactionSql } from 'postgres';
import { asUser, createUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { ApiRole, FreshDatabase } from '../support/db.ts';

type Who = 'anon' | 'nonMember' | 'member' | 'admin' | 'owner' | 'service';
const users = {} as Record<'nonMember' | 'member' | 'admin' | 'owner', string>;
let db: FreshDatabase;
let sql: Sql;
let project: string;

const fp = (n: number) => n.toString(16).padStart(64, '0');

function as<T>(who: Who, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const identity: { userId: string | null; role: ApiRole } =
    who === 'anon' ? { userId: null, role: 'anon' } : who === 'service' ? { userId: null, role: 'service_role' } : { userId: users[who], role: 'authenticated' };
  return asUser(sql, identity.userId, identity.role, fn);
}

/** A project with a CA row and one issued certificate, written as the function writes them. */
async function projectWithCertificate(ownerId: string, n: number): Promise<string> {
  const [p] = await asUser(sql, ownerId, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project(${`p${n}`}, null)`);
  const device = crypto.randomUUID();
  await asUser(sql, ownerId, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${p!.id}, ${device}, ${`dev ${device}`}, 'key')`);
  await sql`insert into vidsync.project_cas (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, source)
            values (${fp(n)}, ${p!.id}, 'pem', 'v1.sealed', now() - interval '1 hour', now() + interval '1 year', 'generated')`;
  await sql`insert into vidsync.issued_certificates (fingerprint, project_id, device_id, ca_fingerprint, ip, not_before, not_after)
            values (${fp(n + 1000)}, ${p!.id}, ${device}, ${fp(n)}, '10.99.0.1', now(), now() + interval '1 day')`;
  return p!.id;
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
  for (const who of ['nonMember', 'member', 'admin', 'owner'] as const) users[who] = await createUser(sql, `${who}-${crypto.randomUUID()}@example.com`);
  project = await projectWithCertificate(users.owner, 1);
  await as('owner', (tx) => tx`select vidsync_api.add_project_member(${project}, ${users.admin}, 'admin')`);
  await as('owner', (tx) => tx`select vidsync_api.add_project_member(${project}, ${users.member}, 'member')`);
  await projectWithCertificate(await createUser(sql), 2); // someone else's project
});
afterAll(async () => db?.drop());

describe('certificate tables', () => {
  it('vidsync.project_cas: refused to every user role, however privileged in the project; the service role reads all', async () => {
    for (const who of ['anon', 'nonMember', 'member', 'admin', 'owner'] as const) {
      expect(await sqlstateOf(as(who, (tx) => tx`select sealed_private_key from vidsync.project_cas`))).toBe('42501');
      expect(await sqlstateOf(as(who, (tx) => tx`select fingerprint from vidsync.project_cas`))).toBe('42501');
    }
    const rows = await as('service', (tx) => tx`select fingerprint from vidsync.project_cas`);
    expect(rows.length).toBe(2);
  });

  it('vidsync.issued_certificates: members see their project\'s, outsiders none, anon is refused', async () => {
    const seen = (who: Who) =>
      as(who, async (tx) => {
        const [row] = await tx<{ mine: number; others: number }[]>`
          select count(*) filter (where project_id = ${project})::int as mine,
                 count(*) filter (where project_id <> ${project})::int as others
            from vidsync.issued_certificates`;
        return row!;
      });
    expect(await sqlstateOf(seen('anon'))).toBe('42501');
    expect(await seen('nonMember')).toEqual({ mine: 0, others: 0 });
    for (const who of ['member', 'admin', 'owner'] as const) expect(await seen(who)).toEqual({ mine: 1, others: 0 });
    expect(await seen('service')).toEqual({ mine: 1, others: 1 });
  });

  it('writing either table is refused to every user role', async () => {
    const writes = [
      `update vidsync.project_cas set active = false where project_id = '${project}'`,
      `insert into vidsync.project_cas (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, source) values ('${fp(9)}', '${project}', 'x', 'x', now(), now() + interval '1 day', 'imported')`,
      `update vidsync.issued_certificates set revoked_at = now() where project_id = '${project}'`,
      `delete from vidsync.issued_certificates where project_id = '${project}'`,
    ];
    for (const statement of writes) {
      for (const who of ['anon', 'nonMember', 'member', 'admin', 'owner'] as const) {
        expect({ statement, who, state: await sqlstateOf(as(who, (tx) => tx.unsafe(statement))) }).toEqual({ statement, who, state: '42501' });
      }
    }
    await as('service', (tx) => tx`update vidsync.issued_certificates set revoked_at = null where project_id = ${project}`);
  });

  it('vidsync.authorize_ca_import: owners and admins pass, members are refused (VS004), outsiders do not see the project (VS003), anon may not call it', async () => {
    const outcome = (who: Who, projectId = project) => sqlstateOf(as(who, (tx) => tx`select vidsync.authorize_ca_import(${projectId})`));
    expect(await outcome('anon')).toBe('42501');
    expect(await outcome('nonMember')).toBe('VS003');
    expect(await outcome('member')).toBe('VS004');
    for (const who of ['admin', 'owner', 'service'] as const) expect({ who, state: await outcome(who) }).toEqual({ who, state: 'ok' });
    expect(await outcome('owner', crypto.randomUUID())).toBe('VS003');
    expect(await outcome('service', crypto.randomUUID())).toBe('VS003');
  });
});
