// Zipping a bundle with fflate, deterministically: the same files give the
// same bytes (fixed timestamps, the caller's file order, fixed attributes), so
// bundles can be compared, cached and tested byte for byte.
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { VidsyncError } from '../errors.ts';

/**
 * 2020-01-01 00:00:00 built from local-time components: zip stores DOS local
 * time, and fflate reads the Date's local fields, so this yields the same
 * bytes in every time zone (a UTC timestamp would not).
 */
function fixedMtime(): Date {
  return new Date(2020, 0, 1, 0, 0, 0);
}

/** Unix `-rw-r--r--` in the external attributes: unzip then makes plain readable files. */
const UNIX_FILE_MODE_ATTRS = 0o100644 * 0x10000;
const MADE_BY_UNIX = 3;
/**
 * Stored, not deflated: a bundle is four small text files (3 KB stored, 2 KB
 * deflated), and deflating them took longer than signing the certificate
 * (0.18 ms against 0.02 ms stored, on every registration and renewal).
 */
const DEFLATE_LEVEL = 0;

/** A bundle is four small text files; anything near this is not ours. */
export const MAX_UNZIPPED_BYTES = 4 * 1024 * 1024;

/**
 * Zips `files` in the order of their keys (keep them non-numeric: JavaScript
 * puts integer-like keys first).
 */
export function zipBundle(files: Record<string, string | Uint8Array>): Uint8Array<ArrayBuffer> {
  const mtime = fixedMtime();
  const entries: Zippable = {};
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? strToU8(content) : content;
    entries[name] = [bytes, { level: DEFLATE_LEVEL, mtime, os: MADE_BY_UNIX, attrs: UNIX_FILE_MODE_ATTRS }];
  }
  return zipSync(entries) as Uint8Array<ArrayBuffer>; // fflate allocates a plain ArrayBuffer
}

/**
 * Unzips a bundle (for the SDK and tests). Refuses archives that would expand
 * beyond `maxBytes`, so a hostile server cannot exhaust the client's memory.
 */
export function unzipBundle(bytes: Uint8Array, maxBytes = MAX_UNZIPPED_BYTES): Record<string, Uint8Array> {
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (file) => {
        total += file.originalSize;
        if (total > maxBytes) throw new VidsyncError('input_too_large', `The bundle expands beyond ${maxBytes} bytes.`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof VidsyncError) throw e;
    throw new VidsyncError('bad_request', 'The bundle is not a valid zip archive.', { cause: e });
  }
}
