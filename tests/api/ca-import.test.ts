// What an imported CA must be. Whoever holds an imported CA's key can sign
// certificates offline, so the CA itself must be limited to the project's
// subnet: an unconstrained one let an admin sign a certificate for another
// device's IP, and for 8.8.8.8. It must be valid now, and for no longer than
// the deployment allows (vidsync.settings.max_ca_lifetime). And a project
// trusts at most MAX_TRUSTED_CAS CAs at once: every bundle carries them all,
// and 34 of them made the SDK refuse every bundle of the project.
import { beforeAll, describe, expect, it } from 'vitest';
import { NebulaClient } from '../../client/src/index.ts';
import { MAX_TRUSTED_CAS } from '../../supabase/functions/_shared/limits.ts';
import { createCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import type { CaOptionsV1 } from '../../supabase/functions/_shared/nebula-cert/sign.ts';
import { useApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { sqlstateOf } from '../support/db.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { createProject } from './helpers.ts';

const DAY = 86_400;

async function importCa(api: ApiHarness, token: string, projectId: string, options: CaOptionsV1): Promise<{ status: number; code?: string }> {
  const ca = await createCertificateAuthority(options);
  const res = await api.fetch(`ca/${projectId}/import`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ caCertificate: ca.certificatePem, caKey: ca.privateKeyPem }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

describe('on the shared database', () => {
  const api = useApi();
  const temp = useTempDir('vidsync-cas');
  let token: string;

  beforeAll(async () => {
    token = (await api.user('ca-import')).accessToken;
  });

  it('refuses a CA that is not limited to the project subnet (400 ca_constraint_ip)', async () => {
    const { projectId, subnet } = await createProject(api.client(token), 'Constrained');
    const cases: Record<string, string[]> = {
      'no IP limits at all': [],
      'a wider network': ['10.0.0.0/8'],
      'another network': ['192.168.77.0/24'],
      'the subnet and more': [subnet, '8.8.8.0/24'],
      'a part of the subnet only': [subnet.replace(/\/\d+$/, '/25')],
    };
    for (const [what, ips] of Object.entries(cases)) {
      expect({ what, ...(await importCa(api, token, projectId, { name: what, ips })) }).toEqual({ what, status: 400, code: 'ca_constraint_ip' });
    }
    expect(await importCa(api, token, projectId, { name: 'exactly the subnet', ips: [subnet] })).toEqual({ status: 201, code: undefined });
  });

  it('refuses a CA that is not valid yet (400 ca_not_yet_valid), and one valid longer than 10 years (400 ca_lifetime_too_long)', async () => {
    const { projectId, subnet } = await createProject(api.client(token), 'Validity');
    const tomorrow = new Date(Date.now() + DAY * 1000);
    expect(await importCa(api, token, projectId, { name: 'tomorrow', ips: [subnet], notBefore: tomorrow, durationSeconds: 365 * DAY })).toEqual({
      status: 400,
      code: 'ca_not_yet_valid',
    });
    expect(await importCa(api, token, projectId, { name: 'eleven years', ips: [subnet], durationSeconds: 11 * 365 * DAY })).toEqual({
      status: 400,
      code: 'ca_lifetime_too_long',
    });
    // A clock a minute fast on the machine that made the CA is fine.
    const aMinuteAhead = new Date(Date.now() + 60_000);
    expect(await importCa(api, token, projectId, { name: 'a minute ahead', ips: [subnet], notBefore: aMinuteAhead, durationSeconds: 365 * DAY })).toEqual({
      status: 201,
      code: undefined,
    });
  });

  it(`trusts at most ${MAX_TRUSTED_CAS} CAs (409 too_many_cas), and devices still get bundles the SDK accepts`, async () => {
    const client = api.client(token);
    const { projectId, subnet } = await createProject(client, 'Many CAs');
    // The project's own CA is the first.
    for (let i = 2; i <= MAX_TRUSTED_CAS; i++) {
      expect(await importCa(api, token, projectId, { name: `ca ${i}`, ips: [subnet] })).toEqual({ status: 201, code: undefined });
    }
    expect(await importCa(api, token, projectId, { name: 'one too many', ips: [subnet] })).toEqual({ status: 409, code: 'too_many_cas' });

    // The SDK verifies the bundle (all trusted CAs in ca.crt) before installing it.
    const sdk = new NebulaClient({ supabase: client, baseDir: temp.path });
    const reg = await sdk.register({ projectId, deviceName: 'with many CAs' });
    expect(reg.ip).toBeTruthy();

    // An expired CA no longer counts.
    await api.sql`
      update vidsync.project_cas set not_before = now() - interval '2 days', not_after = now() - interval '1 day'
       where fingerprint = (select fingerprint from vidsync.project_cas where project_id = ${projectId} and not active limit 1)`;
    expect(await importCa(api, token, projectId, { name: 'in its place', ips: [subnet] })).toEqual({ status: 201, code: undefined });
  });

  it('the database refuses the same whoever writes: past the limit VS031, not valid yet VS032, too long VS033', async () => {
    const { projectId, subnet } = await createProject(api.client(token), 'Direct writes');
    for (let i = 2; i <= MAX_TRUSTED_CAS; i++) await importCa(api, token, projectId, { name: `ca ${i}`, ips: [subnet] });
    const insert = (fingerprint: string, notBefore: string, notAfter: string) => api.sql`
      insert into vidsync.project_cas (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, active, source)
      values (${fingerprint}, ${projectId}, 'pem', 'sealed', now() + ${notBefore}::interval, now() + ${notAfter}::interval, false, 'imported')`;
    const fingerprint = () => crypto.randomUUID().replaceAll('-', '').repeat(2);
    expect(await sqlstateOf(insert(fingerprint(), '-1 hour', '1 year'))).toBe('VS031');
    await api.sql`update vidsync.project_cas set not_after = not_before + interval '1 second' where project_id = ${projectId} and not active`;
    expect(await sqlstateOf(insert(fingerprint(), '1 day', '1 year'))).toBe('VS032');
    expect(await sqlstateOf(insert(fingerprint(), '-1 hour', '11 years'))).toBe('VS033');
    expect(await sqlstateOf(insert(fingerprint(), '-1 hour', '1 year'))).toBe('ok');
  });
});

describe('with max_ca_lifetime set to 400 days', () => {
  const api = useApi({ ownDatabase: (sql) => sql`update vidsync.settings set max_ca_lifetime = interval '400 days'` });

  it('a one-year CA is imported, a two-year CA is refused', async () => {
    const token = (await api.user('short-cas')).accessToken;
    const { projectId, subnet } = await createProject(api.client(token), 'Short CAs');
    expect(await importCa(api, token, projectId, { name: 'one year', ips: [subnet], durationSeconds: 365 * DAY })).toEqual({ status: 201, code: undefined });
    expect(await importCa(api, token, projectId, { name: 'two years', ips: [subnet], durationSeconds: 730 * DAY })).toEqual({
      status: 400,
      code: 'ca_lifetime_too_long',
    });
  });
});
