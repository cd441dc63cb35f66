// `vidsync cert verify`: nebula-cert verify — is the certificate signed by one
// of the CAs, within its validity and the CA's constraints, right now?
// Prints nothing on success, like nebula-cert.
import {
  createCaPool,
  parseCertificatePem,
  verifyCertificate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { CliError, type CliIo } from '../io.ts';
import { inContext, type ModeDefinition, readInput, required, runMode } from './common.ts';

export const mode: ModeDefinition = {
  name: 'verify',
  summary: "verify <flags>: verifies a certificate isn't expired and was signed by a trusted authority.",
  flags: {
    ca: { kind: 'string', usage: 'Required: path to a file containing one or more ca certificates' },
    crt: { kind: 'string', usage: 'Required: path to a file containing a single certificate' },
  },
  async action(flags, io) {
    const caPath = required(flags, 'ca');
    const crtPath = required(flags, 'crt');
    const caPem = await readInput(io, caPath, 'ca');
    const pool = await inContext('error while adding ca cert to pool', () => createCaPool(caPem));
    const now = new Date();
    for (const ca of pool.cas.values()) {
      // nebula-cert verify refuses a CA file holding an expired CA.
      if (ca.details.notBefore > now || ca.details.notAfter < now) {
        throw new CliError(`error while adding ca cert to pool: ${ca.details.name}: root certificate is expired`);
      }
    }
    const crtPem = await readInput(io, crtPath, 'crt', 'unable to read');
    const cert = await inContext('error while parsing crt', () => parseCertificatePem(crtPem));
    await verifyCertificate(cert, { cas: pool, now });
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runMode(mode, args, io);
