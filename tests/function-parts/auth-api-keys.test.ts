// Secret API keys (`sb_secret_…`, not JWTs) in the `apikey` header: the
// service role when one of the project's keys, 401 otherwise; a Bearer JWT
// next to one still names who acts.
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, createJwtVerifier } from '../../supabase/functions/_shared/auth/index.ts';
import { createLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import type { LocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { codeOf } from '../support/outcomes.ts';

const ISSUER = 'http://127.0.0.1:54321/auth/v1';
const KEYS = ['sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz', 'sb_secret_second_key_for_rotation_0000'];
const USER = '5b2f3c4d-0000-4000-8000-000000000002';

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await createLocalIssuer({ issuer: ISSUER });
});

const authenticate = () => createAuthenticator({ verifyJwt: createJwtVerifier({ jwks: issuer.jwks, issuer: ISSUER }), secretKeys: KEYS });
const headers = (h: Record<string, string>) => new Headers(h);

describe('createAuthenticator', () => {
  it('takes any of the project secret keys in apikey as the service role', async () => {
    for (const key of KEYS) {
      const caller = await authenticate()(headers({ apikey: key }));
      expect(caller).toEqual({ userId: '', role: 'service_role', claims: { role: 'service_role' } });
      // supabase-js sends the key as the bearer too: still the service role.
      expect((await authenticate()(headers({ apikey: key, authorization: `Bearer ${key}` }))).role).toBe('service_role');
    }
  });

  it('refuses a secret key that is not one of the project\'s, whatever its length or prefix match', async () => {
    for (const wrong of ['sb_secret_', `${KEYS[0]}x`, KEYS[0]!.slice(0, -1), KEYS[0]!.toUpperCase().replace('SB_SECRET_', 'sb_secret_')]) {
      expect(await codeOf(authenticate()(headers({ apikey: wrong })))).toBe('unauthorized');
    }
    const none = createAuthenticator({ verifyJwt: createJwtVerifier({ jwks: issuer.jwks, issuer: ISSUER }), secretKeys: [] });
    expect(await codeOf(none(headers({ apikey: KEYS[0]! })))).toBe('unauthorized');
  });

  it('a user JWT next to a valid secret key acts as that user; next to a wrong one is refused', async () => {
    const token = await issuer.mint({ sub: USER });
    expect((await authenticate()(headers({ apikey: KEYS[1]!, authorization: `Bearer ${token}` }))).userId).toBe(USER);
    expect(await codeOf(authenticate()(headers({ apikey: 'sb_secret_guess', authorization: `Bearer ${token}` })))).toBe('unauthorized');
  });

  it('without a secret key, the Bearer JWT decides (a publishable key in apikey grants nothing)', async () => {
    const token = await issuer.mint({ sub: USER });
    expect((await authenticate()(headers({ apikey: 'sb_publishable_abc', authorization: `Bearer ${token}` }))).userId).toBe(USER);
    expect(await codeOf(authenticate()(headers({ apikey: 'sb_publishable_abc' })))).toBe('unauthorized');
    expect(await codeOf(authenticate()(headers({})))).toBe('unauthorized');
  });
});
