// `vidsync cert print`: nebula-cert print — every certificate in a file, as
// nebula-cert prints it (plain, or one JSON object per line with -json).
import {
  certificateToNebulaJsonString,
  certificateToNebulaText,
  parseCertificateBundlePem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import type { CliIo } from '../io.ts';
import { inContext, type ModeDefinition, readInput, required, runMode } from './common.ts';

export const mode: ModeDefinition = {
  name: 'print',
  summary: 'print <flags>: prints details about a certificate',
  flags: {
    json: { kind: 'bool', usage: 'Optional: outputs certificates in json format' },
    path: { kind: 'string', usage: 'Required: path to the certificate' },
  },
  async action(flags, io) {
    const path = required(flags, 'path');
    const pem = await readInput(io, path, 'cert', 'unable to read');
    const certs = await inContext('error while unmarshaling cert', () => parseCertificateBundlePem(pem));
    for (const cert of certs) {
      io.stdout.write((flags.bools.json ? await certificateToNebulaJsonString(cert) : await certificateToNebulaText(cert)) + '\n');
    }
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runMode(mode, args, io);
