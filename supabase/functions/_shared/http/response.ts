// Building successful responses: JSON bodies and raw bytes. Error bodies are
// built in errors.ts so that every failure has the same shape.
import { corsHeaders } from './cors.ts';

/** A JSON response with CORS headers (every route answers browsers too). */
export function jsonResponse(data: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(corsHeaders());
  h.set('content-type', 'application/json; charset=utf-8');
  if (headers) new Headers(headers).forEach((value, name) => h.set(name, value));
  return new Response(JSON.stringify(data), { status, headers: h });
}

/**
 * Raw bytes as `application/octet-stream`: supabase-js turns exactly this type
 * into a Blob and reads other binary types (e.g. application/zip) as text,
 * which corrupts them.
 */
export function bytesResponse(bytes: Uint8Array, filename: string, status = 200): Response {
  const h = new Headers(corsHeaders());
  h.set('content-type', 'application/octet-stream');
  h.set('content-length', String(bytes.byteLength));
  // The name is ours (derived from ids), but quote-safe anyway.
  h.set('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  return new Response(bytes as Uint8Array<ArrayBuffer>, { status, headers: h });
}

/**
 * True when the caller asked for the raw zip rather than the JSON envelope:
 * `Accept: application/octet-stream` (or application/zip), or `?format=zip`.
 * JSON stays the default because it is the seed's contract.
 */
export function wantsRawBundle(req: Request): boolean {
  const format = new URL(req.url).searchParams.get('format');
  if (format === 'zip') return true;
  if (format === 'json') return false;
  const accept = (req.headers.get('accept') ?? '').toLowerCase();
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim());
  const wantsBytes = types.includes('application/octet-stream') || types.includes('application/zip');
  return wantsBytes && !types.includes('application/json');
}
