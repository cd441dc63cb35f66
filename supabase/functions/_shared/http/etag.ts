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

/**
 * A polled answer: 304 with no body when the client's `If-None-Match` names
 * the body's tag, else the body with its tag. Clients must revalidate (no-cache).
 */
export async function taggedResponse(request: Request, body: string, contentType: string): Promise<Response> {
  const etag = await etagOf(body);
  const headers = { etag, 'cache-control': 'no-cache' };
  if (matchesEtag(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers: { ...headers, 'content-type': contentType } });
}
