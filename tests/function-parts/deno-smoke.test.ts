// The same modules under Deno, the runtime the function is deployed on: one
// process runs deno-smoke.ts, and its zip must match Node's byte for byte.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SMOKE_BUNDLE_INPUT } from './deno-smoke-input.ts';
import { buildBundle } from '../../supabase/functions/_shared/bundle/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('function parts under Deno', () => {
  it('verify a token, seal and open a key, parse a body, and zip the same bytes as Node', () => {
    const out = execFileSync('npx', ['--no-install', 'deno', 'run', '--quiet', '--no-prompt', 'tests/function-parts/deno-smoke.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    const { zip } = buildBundle(SMOKE_BUNDLE_INPUT);
    expect(result).toEqual({
      userId: 'u1',
      opened: 'PEM',
      files: ['ca.crt', 'node.crt', 'nebula.yml', 'README.md'],
      zipSha256: createHash('sha256').update(zip).digest('hex'),
      deviceName: 'd',
    });
  });
});
