// The local stack's secrets: the JWT issuer's private key and the CA master
// key. Made once per checkout and kept in .local/ (gitignored, mode 0600), so
// tokens minted by `npm run -s cli -- dev token` stay valid across restarts.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalIssuer } from './local-issuer.ts';
import type { JWK } from 'jose';
import { generateMasterKey } from '../../supabase/functions/_shared/secrets/index.ts';

export interface DevSecrets {
  readonly issuerPrivateJwk: JWK;
  readonly caMasterKey: string;
}

export const DEV_SECRETS_FILE = 'dev-secrets.json';

export async function loadDevSecrets(stateDir: string): Promise<DevSecrets> {
  const file = join(stateDir, DEV_SECRETS_FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const issuer = await createLocalIssuer({ issuer: 'local' });
  const secrets: DevSecrets = { issuerPrivateJwk: issuer.privateJwk, caMasterKey: generateMasterKey() };
  await mkdir(stateDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return secrets;
}
