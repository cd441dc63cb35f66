// Entity tags for answers that clients poll (peers, config): the tag is a
// digest of the body, so an unchanged answer costs a 304 and no body.
import { toHex } from '../bytes.ts';

/** A strong ETag: the first 128 bits of the body's SHA-256, quoted. */
export async function etagOf(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)));
  return `"${toHex(digest).slice(0, 32)}"`;
}

/** Whether `If-None-Match` names `etag` (or `*`); weak tags compare by value, as RFC 9110 says for this header. */
export function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
