// The agent's CA rotation step (client/src/agent/ca-rotation.ts) without a
// server or nebula: what it does with ca.crt and when it asks for a renewal,
// for each thing a config poll can announce. The e2e (tests/e2e/ca-rotation)
// runs it for real; this one runs without root.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { announcedTrust, CaRotation } from '../../client/src/agent/ca-rotation.ts';
import { generateX25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { createCertificateAuthority, signHostCertificate } from '../../supabase/functions/_shared/nebula-cert/sign.ts';
import type { CreatedCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/sign.ts';

type Ca = CreatedCertificateAuthority;
let dir: string;
let oldCa: Ca;
let newCa: Ca;
let fetched: string[];
let served: string;

const POLL_SECONDS = 15;
const config = (signing: Ca, ...trusted: Ca[]) => stringify({ pki: { ca: 'ca.crt' }, vidsync: { ca: { signing: signing.fingerprint, trusted: trusted.map((c) => c.fingerprint) } } });
const pemOf = (...cas: Ca[]) => cas.map((c) => c.certificatePem).join('');
const rotation = () =>
  new CaRotation({
    dir,
    pollSeconds: POLL_SECONDS,
    fetchCaPem: async () => {
      fetched.push(served);
      return served;
    },
  });

async function installDevice(signedBy: Ca, caCrt: string): Promise<void> {
  const key = await generateX25519KeyPair();
  const cert = await signHostCertificate({ ca: { certificate: signedBy.certificate, privateKey: signedBy.privateKey }, name: 'd', ip: '10.9.0.5/24', publicKey: key.publicKey });
  await writeFile(join(dir, 'node.crt'), cert.pem);
  await writeFile(join(dir, 'ca.crt'), caCrt);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidsync-ca-rotation-'));
  oldCa = await createCertificateAuthority({ name: 'old', ips: ['10.9.0.0/24'] });
  newCa = await createCertificateAuthority({ name: 'new', ips: ['10.9.0.0/24'] });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
beforeEach(() => {
  fetched = [];
});

describe('announcedTrust', () => {
  it('reads vidsync.ca from nebula.yml, and nothing from a config without it or with malformed fingerprints', () => {
    expect(announcedTrust(config(newCa, newCa, oldCa))).toEqual({ signing: newCa.fingerprint, trusted: [newCa.fingerprint, oldCa.fingerprint] });
    expect(announcedTrust(stringify({ pki: { ca: 'ca.crt' } }))).toBeUndefined();
    expect(announcedTrust(stringify({ vidsync: { ca: { signing: 'x', trusted: ['not hex'] } } }))).toBeUndefined();
    expect(announcedTrust(stringify({ vidsync: { ca: { signing: null, trusted: [] } } }))).toBeUndefined();
    expect(announcedTrust('pki: [')).toBeUndefined();
  });
});

describe('CaRotation.afterConfig', () => {
  it('does nothing when ca.crt and the certificate match what the config announces', async () => {
    await installDevice(oldCa, pemOf(oldCa));
    expect(await rotation().afterConfig(config(oldCa, oldCa))).toEqual({ caChanged: false, shrank: false, note: undefined });
    expect(fetched).toEqual([]);
  });

  it('after a rotation: installs both CAs at once and renews two polls later, so that peers trust the new CA first', async () => {
    await installDevice(oldCa, pemOf(oldCa));
    served = pemOf(newCa, oldCa);
    const step = await rotation().afterConfig(config(newCa, newCa, oldCa));
    expect(step).toMatchObject({ caChanged: true, shrank: false, renewInMs: 2 * POLL_SECONDS * 1000 });
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(served);
    // The next poll (same announcement): ca.crt already right; the device already trusted the signing CA, so at once.
    expect(await rotation().afterConfig(config(newCa, newCa, oldCa))).toMatchObject({ caChanged: false, renewInMs: 0 });
    expect(fetched).toHaveLength(1);
  });

  it('after its CA was retired: the trust set shrank (restart nebula < 1.7) and the device renews at once', async () => {
    await installDevice(oldCa, pemOf(newCa, oldCa));
    served = pemOf(newCa);
    expect(await rotation().afterConfig(config(newCa, newCa))).toMatchObject({ caChanged: true, shrank: true, renewInMs: 0 });
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(served);
  });

  it('on the new CA when the old one leaves: rewrites ca.crt, no renewal', async () => {
    await installDevice(newCa, pemOf(newCa, oldCa));
    served = pemOf(newCa);
    const step = await rotation().afterConfig(config(newCa, newCa));
    expect(step).toMatchObject({ caChanged: true, shrank: true });
    expect(step.renewInMs).toBeUndefined();
  });

  it('writes nothing when the fetched CAs are not the announced ones (a rotation in between): the next poll retries', async () => {
    await installDevice(oldCa, pemOf(oldCa));
    served = pemOf(oldCa);
    const step = await rotation().afterConfig(config(newCa, newCa, oldCa));
    expect(step).toMatchObject({ caChanged: false, shrank: false });
    expect(step.renewInMs).toBeUndefined();
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(pemOf(oldCa));
  });
});
