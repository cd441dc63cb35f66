// The shared module runs unchanged under Deno (production) and Node: the same
// fixed inputs give the same certificate bytes in both runtimes, each crypto
// capability picks WebCrypto in both, and the tweetnacl fallback gives the
// same bytes as WebCrypto on each runtime.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { signFixed } from './deno/sign-fixed.ts';

const deno = join(process.cwd(), 'node_modules', '.bin', 'deno');
let denoRun: Awaited<ReturnType<typeof signFixed>> | undefined;
/** sign-fixed.ts's output under Deno, run once for both tests. */
const fromDeno = () => (denoRun ??= JSON.parse(execFileSync(deno, ['run', '--quiet', join('tests', 'cert', 'deno', 'sign-fixed.ts')], { encoding: 'utf8' })));

describe('Deno and Node', () => {
  it('sign identical bytes with WebCrypto in both, in formats v1 and v2', async () => {
    const run = fromDeno();
    expect(run.backends).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
    expect(run).toEqual(await signFixed());
    await verifyCertificate(run.hostPem, { cas: run.caPem, now: new Date('2030-01-01T02:00:00Z') });
    await verifyCertificate(run.hostV2Pem, { cas: run.caV2Pem, version: 'any', now: new Date('2030-01-01T02:00:00Z') });
  });

  it('the tweetnacl fallback agrees with WebCrypto, capability by capability, on each runtime', async () => {
    for (const run of [fromDeno(), await signFixed()]) {
      expect(run.implementations.tweetnacl).toEqual(run.implementations.webcrypto);
      expect(run.implementations.webcrypto.verified).toBe(true);
      expect(run.withoutWebCrypto).toEqual({ ed25519: 'tweetnacl', x25519: 'tweetnacl' });
    }
  });
});
