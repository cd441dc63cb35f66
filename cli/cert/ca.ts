// `vidsync cert ca`: nebula-cert ca — a self-signed Ed25519 CA with optional
// ip, subnet and group constraints.
import { createCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { parseCidr } from '../../supabase/functions/_shared/net/index.ts';
import { formatGoDuration } from '../flags.ts';
import { CliError, type CliIo } from '../io.ts';
import { list, type ModeDefinition, refuseExisting, required, runMode, writeNew } from './common.ts';

export const mode: ModeDefinition = {
  name: 'ca',
  summary: 'ca <flags>: create a self signed certificate authority',
  flags: {
    name: { kind: 'string', usage: 'Required: name of the certificate authority' },
    duration: {
      kind: 'duration',
      default: formatGoDuration(8760 * 3600),
      usage: 'Optional: amount of time the certificate should be valid for. Valid time units are seconds: "s", minutes: "m", hours: "h"',
    },
    'out-key': { kind: 'string', default: 'ca.key', usage: 'Optional: path to write the private key to' },
    'out-crt': { kind: 'string', default: 'ca.crt', usage: 'Optional: path to write the certificate to' },
    groups: { kind: 'string', usage: 'Optional: comma separated list of groups. This will limit which groups subordinate certs can use' },
    ips: {
      kind: 'string',
      usage:
        'Optional: comma separated list of ipv4 address and network in CIDR notation. This will limit which ipv4 addresses and networks subordinate certs can use for ip addresses',
    },
    subnets: {
      kind: 'string',
      usage:
        'Optional: comma separated list of ipv4 address and network in CIDR notation. This will limit which ipv4 addresses and networks subordinate certs can use in subnets',
    },
  },
  async action(flags, io) {
    const name = required(flags, 'name');
    const outKey = required(flags, 'out-key');
    const outCrt = required(flags, 'out-crt');
    const duration = flags.durations.duration!;
    if (duration <= 0) throw new CliError('-duration must be greater than 0');
    const ips = list(flags.strings.ips!).map((s) => cidrOrError(s, 'ip'));
    const subnets = list(flags.strings.subnets!).map((s) => cidrOrError(s, 'subnet'));
    refuseExisting(io, outKey, 'CA key');
    refuseExisting(io, outCrt, 'CA cert');
    const ca = await createCertificateAuthority({ name, durationSeconds: duration, ips, subnets, groups: list(flags.strings.groups!) });
    await writeNew(io, outKey, ca.privateKeyPem, 'out-key', 'CA key');
    await writeNew(io, outCrt, ca.certificatePem, 'out-crt', 'CA cert');
  },
};

export function cidrOrError(text: string, what: 'ip' | 'subnet') {
  try {
    return parseCidr(text);
  } catch {
    throw new CliError(`invalid ${what} definition: invalid CIDR address: ${text}`);
  }
}

export const run = (args: string[], io: CliIo): Promise<number> => runMode(mode, args, io);
