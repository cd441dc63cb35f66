// `vidsync cert keygen`: nebula-cert keygen — an X25519 key pair for a host.
// Unlike nebula-cert 1.6.1 it refuses to overwrite existing key files.
import { generateX25519KeyPair, x25519PrivateKeyToPem, x25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import type { CliIo } from '../io.ts';
import { type ModeDefinition, refuseExisting, required, runMode, writeNew } from './common.ts';

export const mode: ModeDefinition = {
  name: 'keygen',
  summary: 'keygen <flags>: create a public/private key pair. the public key can be passed to `vidsync cert sign`',
  flags: {
    'out-pub': { kind: 'string', usage: 'Required: path to write the public key to' },
    'out-key': { kind: 'string', usage: 'Required: path to write the private key to' },
  },
  async action(flags, io) {
    const outKey = required(flags, 'out-key');
    const outPub = required(flags, 'out-pub');
    refuseExisting(io, outKey, 'key');
    refuseExisting(io, outPub, 'public key');
    const pair = await generateX25519KeyPair();
    await writeNew(io, outKey, x25519PrivateKeyToPem(pair.privateKey), 'out-key', 'key');
    await writeNew(io, outPub, x25519PublicKeyToPem(pair.publicKey), 'out-pub', 'public key');
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runMode(mode, args, io);
