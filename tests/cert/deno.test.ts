// The shared module runs unchanged under Deno (production) and Node: the same
// fixed inputs give the same certificate bytes in both runtimes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyAnyCertificate, verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { signFixed } from './deno/sign-fixed.ts';

const deno = join(process.cwd(), 'node_modules', '.bin', 'deno');

describe('Deno and Node', () => {
  it('sign identical bytes with WebCrypto in both, in formats v1 and v2', async () => {
    const fromDeno = JSON.parse(execFileSync(deno, ['run', '--quiet', join('tests', 'cert', 'deno', 'sign-fixed.ts')], { encoding: 'utf8' }));
    const fromNode = await signFixed();
    expect(fromDeno.backend).toBe('webcrypto');
    expect(fromDeno).toEqual(fromNode);
    await verifyCertificate(fromDeno.hostPem, { cas: fromDeno.caPem, now: new Date('2030-01-01T02:00:00Z') });
    await verifyAnyCertificate(fromDeno.hostV2Pem, { cas: fromDeno.caV2Pem, now: new Date('2030-01-01T02:00:00Z') });
  });
});
