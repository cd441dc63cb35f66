import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { generateMasterKey, importMasterKey, openCaKey, sealCaKey } from '../../supabase/functions/_shared/secrets/ca-key-box.ts';
import { codeOf } from '../support/outcomes.ts';

const PEM = '-----BEGIN NEBULA ED25519 PRIVATE KEY-----\nc2VlZC1zZWVkLXNlZWQtc2VlZC1zZWVkLXNlZWQtc2VlZC1wdWJsaWMta2V5LWJ5dGVzLXB1YmxpYy1rZXk=\n-----END NEBULA ED25519 PRIVATE KEY-----\n';
const PROJECT = '3f2c1a9e-1111-4222-8333-abcdefabcdef';
const OTHER_PROJECT = '3f2c1a9e-1111-4222-8333-000000000000';

describe('CA key box', () => {
  it('seals and opens a key for its project', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain('PRIVATE');
    expect(await openCaKey(key, sealed, PROJECT)).toBe(PEM);
  });

  it('uses a fresh IV for every seal', async () => {
    const key = await importMasterKey(generateMasterKey());
    const a = await sealCaKey(key, PEM, PROJECT);
    const b = await sealCaKey(key, PEM, PROJECT);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('refuses to open under another project id (the sealed key cannot move)', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    expect(await codeOf(openCaKey(key, sealed, OTHER_PROJECT))).toBe('ca_key_unreadable');
  });

  it('refuses another master key', async () => {
    const sealed = await sealCaKey(await importMasterKey(generateMasterKey()), PEM, PROJECT);
    expect(await codeOf(openCaKey(await importMasterKey(generateMasterKey()), sealed, PROJECT))).toBe('ca_key_unreadable');
  });

  it('detects tampering with any byte of the ciphertext or IV', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    const [v, iv, ct] = sealed.split('.') as [string, string, string];
    const flip = (b64: string, at: number) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      bytes[at % bytes.length]! ^= 1;
      return btoa(String.fromCharCode(...bytes));
    };
    for (const at of [0, 17, 60, 1000]) {
      expect(await codeOf(openCaKey(key, `${v}.${iv}.${flip(ct, at)}`, PROJECT))).toBe('ca_key_unreadable');
    }
    expect(await codeOf(openCaKey(key, `${v}.${flip(iv, 3)}.${ct}`, PROJECT))).toBe('ca_key_unreadable');
    expect(await codeOf(openCaKey(key, `${v}.${iv}.${ct.slice(0, 8)}`, PROJECT))).toBe('ca_key_unreadable');
  });

  it.each(['', 'v1', 'v2.AAAAAAAAAAAAAAAA.AAAA', 'v1.AAAA.AAAA', 'v1.AAAAAAAAAAAAAAAA.@@@@', 'v1.AAAAAAAAAAAAAAAA.AAAA.AAAA'])(
    'refuses the malformed sealed value %j',
    async (sealed) => {
      const key = await importMasterKey(generateMasterKey());
      expect(await codeOf(openCaKey(key, sealed, PROJECT))).toBe('ca_key_unreadable');
    },
  );

  it('imports only base64 of exactly 32 bytes, without echoing the secret', async () => {
    const ok = generateMasterKey();
    expect(atob(ok)).toHaveLength(32);
    await expect(importMasterKey(`${ok}\n`)).resolves.toBeDefined();
    for (const bad of ['', 'hunter2', btoa('x'.repeat(16)), btoa('x'.repeat(31)), btoa('x'.repeat(33)), ok.replace(/=$/, '')]) {
      const err = await importMasterKey(bad).catch((e: unknown) => e);
      expect(isVidsyncError(err, 'master_key_invalid')).toBe(true);
      if (bad) expect(JSON.stringify({ m: (err as Error).message, d: (err as { details?: unknown }).details })).not.toContain(bad);
    }
  });

  it('makes the master key non-extractable', async () => {
    const key = await importMasterKey(generateMasterKey());
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it('refuses an empty associated data', async () => {
    const key = await importMasterKey(generateMasterKey());
    expect(await codeOf(sealCaKey(key, PEM, ''))).toBe('internal');
  });
});
