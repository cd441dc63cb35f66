// Syncthing device IDs for tests: real ones from the `syncthing` binary, and
// a corpus of near misses (every single-character substitution, wrong
// shapes, a right check character over a non-canonical last character).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyncthingHome } from '../../scripts/e2e/syncthing.ts';
import { luhn32 } from '../../supabase/functions/_shared/syncthing/index.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Syncthing's own example ID (docs.syncthing.net, "Device IDs"). */
export const DOCS_EXAMPLE_ID = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';

export interface RealSyncthingId {
  /** What `syncthing serve --device-id` printed. */
  readonly deviceId: string;
  /** SHA-256 of the DER certificate in the home's cert.pem. */
  readonly certSha256: Uint8Array;
}

/** `count` fresh identities from the real binary (`syncthing generate`), in temp homes it removes. */
export async function realSyncthingIds(count: number): Promise<RealSyncthingId[]> {
  const out: RealSyncthingId[] = [];
  for (let i = 0; i < count; i++) {
    const home = await mkdtemp(join(tmpdir(), 'vidsync-st-id-'));
    try {
      const { deviceId } = await generateSyncthingHome(home);
      const der = new X509Certificate(await readFile(join(home, 'cert.pem'))).raw;
      out.push({ deviceId, certSha256: new Uint8Array(createHash('sha256').update(der).digest()) });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
  return out;
}

/** Every ID that differs from `id` in exactly one non-dash character (55 x 31 + the check characters). */
export function singleSubstitutions(id: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < id.length; i++) {
    if (id[i] === '-') continue;
    for (const c of ALPHABET) if (c !== id[i]) out.push(id.slice(0, i) + c + id.slice(i + 1));
  }
  return out;
}

/** `id` with its last data character made `last` and the last check character recomputed: right check, wrong bits. */
export function withLastDataChar(id: string, last: string): string {
  const chars = id.replaceAll('-', '');
  const data = chars.slice(42, 54) + last;
  const fixed = chars.slice(0, 42) + data + luhn32(data);
  return fixed.match(/.{7}/g)!.join('-');
}

/** Wrong shapes around a valid `id`: case, dashes, grouping, foreign characters, lengths. */
export function misshapen(id: string): string[] {
  const compact = id.replaceAll('-', '');
  return [
    '',
    id.toLowerCase(),
    compact,
    compact.match(/.{4}/g)!.join('-'),
    ` ${id}`,
    `${id} `,
    `${id}\n`,
    id.replace('-', ' '),
    id.slice(0, -1),
    `${id}A`,
    `${id}-AAAAAAA`,
    id.slice(0, 55),
    compact.slice(0, 52), // Syncthing's old 52-character form, no check characters
    id.replace(/[A-Z]/, '0'),
    id.replace(/[A-Z]/, '1'),
    id.replace(/[A-Z]/, '8'),
    id.replace(/[A-Z]/, 'É'),
    id.replace(/[A-Z]/, '\u0000'),
    'not-a-syncthing-id',
  ];
}
