// How an agent follows its project's CA rotations (POST /ca/:id/rotate) and
// retirements (DELETE /ca/:id/:fingerprint). It learns of them through what it
// already polls: nebula.yml's `vidsync.ca` names the CAs the project trusts and
// the one that signs, so a rotation changes the config's text and ETag.
//
// The order matters on a live overlay. A peer refuses a certificate whose CA
// is not in its ca.crt, so a device must not run a certificate of the new CA
// before its peers trust that CA. Hence, after each config poll:
//  1. trust first: when ca.crt does not hold exactly the announced CAs, the
//     agent fetches them (GET /config/:deviceId/ca, which a headless device
//     may call with its own key), checks that the PEM holds exactly those
//     fingerprints, and rewrites ca.crt; nebula reloads it on SIGHUP, but
//     1.6 keeps established tunnels of a CA that left (as it does for a
//     blocklisted peer), so a shrinking trust set means a restart there;
//  2. then renew: when its own certificate is not signed by the signing CA,
//     the agent renews — after a grace of two config polls when it has only
//     just learnt of that CA (by then every running agent has polled and
//     trusts it), at once when it already trusted it or when its own CA is
//     no longer trusted at all (its peers refuse it anyway).
import { join } from 'node:path';
import YAML from 'yaml';
import { fingerprint, parseCertificateBundlePem, parseCertificatePem } from '../../../supabase/functions/_shared/nebula-cert/index.ts';
import { BUNDLE_FILES, readTextIfExists, writeFileAtomic } from '../files.ts';

/** nebula.yml's `vidsync.ca`: the project's trusted CAs (the signing one first) as the server announced them. */
export interface AnnouncedTrust {
  readonly signing: string | null;
  readonly trusted: readonly string[];
}

/** What the agent does after a config poll, besides what the config itself asks. */
export interface CaRotationStep {
  /** ca.crt was rewritten: nebula must reload it (restart when `shrank`, on nebula < 1.7). */
  readonly caChanged: boolean;
  /** A CA left the trust set. */
  readonly shrank: boolean;
  /** Renew in this many milliseconds: the device's certificate is not the signing CA's. Undefined: no renewal needed. */
  readonly renewInMs?: number;
  /** One line for the agent's log, when something happened. */
  readonly note?: string;
}

export interface CaRotationOptions {
  /** The project directory: ca.crt and node.crt. */
  readonly dir: string;
  /** GET /config/:deviceId/ca: the trusted CAs' PEM. */
  readonly fetchCaPem: () => Promise<string>;
  /** Config poll interval; the grace before renewing onto a CA just learnt of is two of them. */
  readonly pollSeconds: number;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** `vidsync.ca` of a nebula.yml text, or undefined when it names none (an older server) or is malformed. */
export function announcedTrust(configYaml: string): AnnouncedTrust | undefined {
  let doc: unknown;
  try {
    doc = YAML.parse(configYaml);
  } catch {
    return undefined;
  }
  const ca = (doc as { vidsync?: { ca?: { signing?: unknown; trusted?: unknown } } } | null)?.vidsync?.ca;
  if (!ca || !Array.isArray(ca.trusted) || ca.trusted.length === 0 || !ca.trusted.every((fp) => typeof fp === 'string' && FINGERPRINT.test(fp))) return undefined;
  const signing = typeof ca.signing === 'string' && FINGERPRINT.test(ca.signing) ? ca.signing : null;
  return { signing, trusted: ca.trusted as string[] };
}

/** Fingerprints of the CAs in a PEM bundle. */
export async function fingerprintsOf(pem: string): Promise<string[]> {
  if (!pem.trim()) return [];
  return Promise.all(parseCertificateBundlePem(pem).map((ca) => fingerprint(ca)));
}

export class CaRotation {
  readonly #o: CaRotationOptions;

  constructor(options: CaRotationOptions) {
    this.#o = options;
  }

  /** After a config poll answered `configYaml`: brings ca.crt in line with it and says whether to renew. */
  async afterConfig(configYaml: string): Promise<CaRotationStep> {
    const announced = announcedTrust(configYaml);
    if (!announced) return { caChanged: false, shrank: false };
    const caPath = join(this.#o.dir, BUNDLE_FILES.ca);
    const installed = new Set(await fingerprintsOf((await readTextIfExists(caPath)) ?? ''));
    const wanted = new Set(announced.trusted);

    let caChanged = false;
    let shrank = false;
    const notes: string[] = [];
    if (!sameSet(installed, wanted)) {
      const pem = await this.#o.fetchCaPem();
      // Only what the config announced: an answer from before or after another rotation waits for the next poll.
      if (!sameSet(new Set(await fingerprintsOf(pem)), wanted)) return { caChanged: false, shrank: false, note: 'trusted CAs changed while fetching them; next poll' };
      await writeFileAtomic(caPath, pem);
      caChanged = true;
      shrank = [...installed].some((fp) => !wanted.has(fp));
      notes.push(`trusted CAs now ${[...wanted].map(short).join(', ')} (were ${[...installed].map(short).join(', ') || 'none'})`);
    }

    const issuer = parseCertificatePem((await readTextIfExists(join(this.#o.dir, BUNDLE_FILES.certificate))) ?? '').details.issuer;
    if (announced.signing === null || issuer === announced.signing) return { caChanged, shrank, note: notes.join('; ') || undefined };
    // Peers learn of a new CA by their own polls: give them two before showing them a certificate it signed.
    const justLearnt = !installed.has(announced.signing);
    const refused = !wanted.has(issuer);
    const renewInMs = justLearnt && !refused ? 2 * this.#o.pollSeconds * 1000 : 0;
    notes.push(
      `this certificate's CA ${short(issuer)} ${refused ? 'is no longer trusted' : 'no longer signs'}: renewing onto ${short(announced.signing)} ${renewInMs ? `in ${renewInMs / 1000} s` : 'now'}`,
    );
    return { caChanged, shrank, renewInMs, note: notes.join('; ') };
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function short(fp: string): string {
  return `${fp.slice(0, 12)}…`;
}
