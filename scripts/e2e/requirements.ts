// Some suites need root, a Debian package or Linux network namespaces. On a
// developer laptop they skip with a one-line reason; in CI (VIDSYNC_REQUIRE_ALL=1,
// set by .ci/run) a missing requirement is a failure, so nothing skips silently.
import { execFileSync } from 'node:child_process';

export interface Requirement {
  readonly name: string;
  readonly met: () => boolean;
}

export const isRoot: Requirement = {
  name: 'root (network namespaces, tun devices)',
  met: () => typeof process.getuid === 'function' && process.getuid() === 0,
};

export function binary(name: string): Requirement {
  return {
    name: `the \`${name}\` binary (apt-get install ${debianPackageOf(name)})`,
    met: () => {
      try {
        execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
  };
}

function debianPackageOf(bin: string): string {
  const packages: Record<string, string> = { 'nebula-cert': 'nebula', ip: 'iproute2', tc: 'iproute2', ping: 'iputils-ping', nft: 'nftables' };
  return packages[bin] ?? bin;
}

/**
 * Returns a reason to skip, or undefined when every requirement is met.
 * Throws instead of skipping when VIDSYNC_REQUIRE_ALL=1.
 */
export function missing(...requirements: Requirement[]): string | undefined {
  const unmet = requirements.filter((r) => !r.met()).map((r) => r.name);
  if (unmet.length === 0) return undefined;
  const reason = `needs ${unmet.join(', ')}`;
  if (process.env.VIDSYNC_REQUIRE_ALL === '1') {
    throw new Error(`VIDSYNC_REQUIRE_ALL=1 but this suite ${reason}`);
  }
  console.warn(`skipping: ${reason}`);
  return reason;
}
