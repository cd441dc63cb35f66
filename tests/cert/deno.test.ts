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

describe('Deno and Node', () => {
  it('sign identical bytes with WebCrypto in both, in formats v1 and v2', async () => {
    const fromDeno = JSON.parse(execFileSync(deno, ['run', '--quiet', join('tests', 'cert', 'deno', 'sign-fixed.ts')], { encoding: 'utf8' }));
    const fromNode = await signFixed();
    expect(fromDeno.backends).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
    expect(fromDeno).toEqual(fromNode);
    await verifyCertificate(fromDeno.hostPem, { cas: fromDeno.caPem, now: new Date('2030-01-01T02:00:00Z') });
    await verifyCertificate(fromDeno.hostV2Pem, { cas: fromDeno.caV2Pem, version: 'any', now: new Date('2030-01-01T02:00:00Z') });
  });

  it('the tweetnacl fallback agrees with WebCrypto, capability by capability, on each runtime', async () => {
    const fromDeno = JSON.parse(execFileSync(deno, ['run', '--quiet', join('tests', 'cert', 'deno', 'sign-fixed.ts')], { encoding: 'utf8' }));
    for (const run of [fromDeno, await signFixed()]) {
      expect(run.implementations.tweetnacl).toEqual(run.implementations.webcrypto);
      expect(run.implementations.webcrypto.verified).toBe(true);
      expect(run.withoutWebCrypto).toEqual({ ed25519: 'tweetnacl', x25519: 'tweetnacl' });
    }
  });
});
