import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { generateMasterKey, importMasterKey, importMasterKeys, masterKeyId, openCaKey, sealCaKey, sealedKeyId } from '../../supabase/functions/_shared/secrets/ca-key-box.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { codeOf } from '../support/outcomes.ts';

const PEM = '-----BEGIN NEBULA ED25519 PRIVATE KEY-----\nc2VlZC1zZWVkLXNlZWQtc2VlZC1zZWVkLXNlZWQtc2VlZC1wdWJsaWMta2V5LWJ5dGVzLXB1YmxpYy1rZXk=\n-----END NEBULA ED25519 PRIVATE KEY-----\n';
const PROJECT = '3f2c1a9e-1111-4222-8333-abcdefabcdef';
const OTHER_PROJECT = '3f2c1a9e-1111-4222-8333-000000000000';

describe('CA key box', () => {
  it('seals and opens a key for its project', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    expect(sealed).toMatch(/^v2\.[0-9a-f]{16}\.[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/=]+$/);
    expect(sealedKeyId(sealed)).toBe(key.sealing.id);
    expect(sealed).not.toContain('PRIVATE');
    expect(await openCaKey(key, sealed, PROJECT)).toBe(PEM);
  });

  it('uses a fresh IV for every seal', async () => {
    const key = await importMasterKey(generateMasterKey());
    const a = await sealCaKey(key, PEM, PROJECT);
    const b = await sealCaKey(key, PEM, PROJECT);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('refuses to open under another project id (the sealed key cannot move)', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    expect(await codeOf(openCaKey(key, sealed, OTHER_PROJECT))).toBe('ca_key_unreadable');
  });

  it('refuses a key sealed under a master key it does not hold, naming that key id', async () => {
    const retired = generateMasterKey();
    const sealed = await sealCaKey(await importMasterKey(retired), PEM, PROJECT);
    const err = await openCaKey(await importMasterKey(generateMasterKey()), sealed, PROJECT).catch((e: unknown) => e);
    expect(isVidsyncError(err, 'master_key_unknown')).toBe(true);
    const id = await masterKeyId(retired);
    expect((err as Error).message).toContain(id);
    expect((err as { details?: unknown }).details).toEqual({ keyId: id });
    expect((err as Error).message).not.toContain(retired);
  });

  it('a keyring seals with its first key and opens with any (rotation)', async () => {
    const [oldKey, newKey] = [generateMasterKey(), generateMasterKey()];
    const before = await importMasterKeys([oldKey]);
    const during = await importMasterKeys([newKey, oldKey]);
    const sealedOld = await sealCaKey(before, PEM, PROJECT);
    const sealedNew = await sealCaKey(during, PEM, PROJECT);
    expect(sealedKeyId(sealedOld)).toBe(await masterKeyId(oldKey));
    expect(sealedKeyId(sealedNew)).toBe(await masterKeyId(newKey));
    expect(await openCaKey(during, sealedOld, PROJECT)).toBe(PEM);
    expect(await openCaKey(during, sealedNew, PROJECT)).toBe(PEM);
    // The old key alone cannot open what the new one sealed.
    expect(await codeOf(openCaKey(before, sealedNew, PROJECT))).toBe('master_key_unknown');
    expect(await codeOf(importMasterKeys([oldKey, oldKey]))).toBe('master_key_invalid');
  });

  it('opens the legacy v1 format (no key id) with any key of the keyring', async () => {
    // v1 as the previous release wrote it: AES-256-GCM, AAD "vidsync.ca-key.v1:<project>", no key id.
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const aesKey = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(`vidsync.ca-key.v1:${PROJECT}`) }, aesKey, new TextEncoder().encode(PEM)));
    const legacy = `v1.${bytesToBase64(iv)}.${bytesToBase64(ct)}`;
    expect(sealedKeyId(legacy)).toBeNull();
    expect(await openCaKey(await importMasterKeys([generateMasterKey(), bytesToBase64(raw)]), legacy, PROJECT)).toBe(PEM);
    expect(await codeOf(openCaKey(await importMasterKey(generateMasterKey()), legacy, PROJECT))).toBe('ca_key_unreadable');
  });

  it('detects tampering with any byte of the ciphertext or IV', async () => {
    const key = await importMasterKey(generateMasterKey());
    const sealed = await sealCaKey(key, PEM, PROJECT);
    const [v, id, iv, ct] = sealed.split('.') as [string, string, string, string];
    const flip = (b64: string, at: number) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      bytes[at % bytes.length]! ^= 1;
      return btoa(String.fromCharCode(...bytes));
    };
    for (const at of [0, 17, 60, 1000]) {
      expect(await codeOf(openCaKey(key, `${v}.${id}.${iv}.${flip(ct, at)}`, PROJECT))).toBe('ca_key_unreadable');
    }
    expect(await codeOf(openCaKey(key, `${v}.${id}.${flip(iv, 3)}.${ct}`, PROJECT))).toBe('ca_key_unreadable');
    expect(await codeOf(openCaKey(key, `${v}.${id}.${iv}.${ct.slice(0, 8)}`, PROJECT))).toBe('ca_key_unreadable');
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
    const { key } = (await importMasterKey(generateMasterKey())).sealing;
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it('refuses an empty associated data', async () => {
    const key = await importMasterKey(generateMasterKey());
    expect(await codeOf(sealCaKey(key, PEM, ''))).toBe('internal');
  });
});
