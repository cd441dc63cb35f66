// `vidsync cert sign`: nebula-cert sign — a host certificate signed by a CA,
// for a given public key (-in-pub) or a freshly generated key pair (-out-key).
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import {
  createEd25519Signer,
  generateX25519KeyPair,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  signHostCertificate,
  x25519PrivateKeyToPem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { CliError, type CliIo } from '../io.ts';
import { cidrOrError } from './ca.ts';
import { inContext, list, type ModeDefinition, readInput, refuseExisting, required, runMode, writeNew } from './common.ts';

export const mode: ModeDefinition = {
  name: 'sign',
  summary: 'sign <flags>: create and sign a certificate',
  flags: {
    'ca-key': { kind: 'string', default: 'ca.key', usage: 'Optional: path to the signing CA key' },
    'ca-crt': { kind: 'string', default: 'ca.crt', usage: 'Optional: path to the signing CA cert' },
    name: { kind: 'string', usage: 'Required: name of the cert, usually a hostname' },
    ip: { kind: 'string', usage: 'Required: ipv4 address and network in CIDR notation to assign the cert' },
    duration: {
      kind: 'duration',
      usage:
        'Optional: how long the cert should be valid for. The default is 1 second before the signing cert expires. Valid time units are seconds: "s", minutes: "m", hours: "h"',
    },
    'in-pub': { kind: 'string', usage: 'Optional (if out-key not set): path to read a previously generated public key' },
    'out-key': { kind: 'string', usage: 'Optional (if in-pub not set): path to write the private key to' },
    'out-crt': { kind: 'string', usage: 'Optional: path to write the certificate to' },
    groups: { kind: 'string', usage: 'Optional: comma separated list of groups' },
    subnets: {
      kind: 'string',
      usage: 'Optional: comma separated list of ipv4 address and network in CIDR notation. Subnets this cert can serve for',
    },
  },
  async action(flags, io) {
    const caKeyPath = required(flags, 'ca-key');
    const caCrtPath = required(flags, 'ca-crt');
    const name = required(flags, 'name');
    const ipText = required(flags, 'ip');
    const inPub = flags.strings['in-pub']!;
    if (inPub !== '' && flags.strings['out-key'] !== '') throw new CliError('cannot set both -in-pub and -out-key');

    const caKeyPem = await readInput(io, caKeyPath, 'ca-key');
    const caKey = await inContext('error while parsing ca-key', () => parseEd25519PrivateKeyPem(caKeyPem).privateKey);
    const caCrtPem = await readInput(io, caCrtPath, 'ca-crt');
    const caCert = await inContext('error while parsing ca-crt', () => parseCertificatePem(caCrtPem));
    const signer = await createEd25519Signer(caKey).catch(() => {
      throw new CliError('refusing to sign, root certificate does not match private key');
    });
    const ip = cidrOrError(ipText, 'ip');
    const subnets = list(flags.strings.subnets!).map((s) => cidrOrError(s, 'subnet'));

    let publicKey: Uint8Array;
    let privateKey: Uint8Array | undefined;
    if (inPub !== '') {
      const pubPem = await readInput(io, inPub, 'in-pub');
      publicKey = await inContext('error while parsing in-pub', () => parseX25519PublicKeyPem(pubPem).publicKey);
    } else {
      ({ publicKey, privateKey } = await generateX25519KeyPair());
    }

    const outCrt = flags.strings['out-crt'] || `${name}.crt`;
    const outKey = flags.strings['out-key'] || `${name}.key`;
    const duration = flags.durations.duration!;
    let signed;
    try {
      signed = await signHostCertificate({
        ca: { certificate: caCert, signer },
        publicKey,
        name,
        ip,
        groups: list(flags.strings.groups!),
        subnets,
        durationSeconds: duration > 0 ? duration : undefined,
      });
    } catch (e) {
      throw signError(e);
    }
    refuseExisting(io, outCrt, 'cert');
    if (privateKey) {
      refuseExisting(io, outKey, 'key');
      await writeNew(io, outKey, x25519PrivateKeyToPem(privateKey), 'out-key', 'key');
    }
    await writeNew(io, outCrt, signed.pem, 'out-crt', 'cert');
  },
};

/** nebula-cert's wording for the refusals the library reports by code. */
function signError(e: unknown): Error {
  if (isVidsyncError(e, 'ca_key_mismatch') || isVidsyncError(e, 'cert_not_ca')) {
    return new CliError('refusing to sign, root certificate does not match private key');
  }
  if (isVidsyncError(e, 'ca_expired')) return new CliError('ca certificate is expired');
  if (isVidsyncError(e) && e.code.startsWith('ca_constraint_')) {
    return new CliError(`refusing to sign, root certificate constraints violated: ${e.message}`);
  }
  return e instanceof Error ? e : new CliError(String(e));
}

export const run = (args: string[], io: CliIo): Promise<number> => runMode(mode, args, io);
