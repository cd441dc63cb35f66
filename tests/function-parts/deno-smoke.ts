// Run by deno-smoke.test.ts under Deno: proves the function parts load and
// work there (WebCrypto, fflate, jose, yaml, zod through deno.json's imports),
// not only under Node. Prints one JSON line of results.
import { createJwtVerifier } from '../../supabase/functions/_shared/auth/index.ts';
import { createLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { SMOKE_BUNDLE_INPUT, SMOKE_PROJECT_ID } from './deno-smoke-input.ts';
import { buildBundle, unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { readJsonBody, RegisterBody } from '../../supabase/functions/_shared/http/index.ts';
import { generateMasterKey, importMasterKey, openCaKey, sealCaKey } from '../../supabase/functions/_shared/secrets/index.ts';

const projectId = SMOKE_PROJECT_ID;
const issuer = await createLocalIssuer({ issuer: 'local' });
const caller = await createJwtVerifier({ jwks: issuer.jwks, issuer: 'local' })(`Bearer ${await issuer.mint({ sub: 'u1' })}`);

const key = await importMasterKey(generateMasterKey());
const opened = await openCaKey(key, await sealCaKey(key, 'PEM', projectId), projectId);

const { zip } = buildBundle(SMOKE_BUNDLE_INPUT);

const body = await readJsonBody(
  new Request('http://x/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ projectId, deviceId: projectId, deviceName: 'd', publicKey: 'k' }),
  }),
  RegisterBody,
);

console.log(JSON.stringify({
  userId: caller.userId,
  opened,
  files: Object.keys(unzipBundle(zip)),
  zipSha256: Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', zip)), (b) => b.toString(16).padStart(2, '0')).join(''),
  deviceName: body.deviceName,
}));
