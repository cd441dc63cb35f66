// CORS for browser and Electron-renderer callers. The API authenticates with a
// bearer token, never cookies, so a wildcard origin exposes nothing that the
// token does not already grant.

const ALLOWED_HEADERS = 'authorization, x-client-info, apikey, content-type, accept, if-none-match';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
/** How long a browser may cache a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

export function corsHeaders(): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-allow-methods': ALLOWED_METHODS,
    // The client reads the request id of a failure to quote it in bug reports.
    'access-control-expose-headers': 'x-request-id, content-disposition, x-vidsync-device, etag, retry-after',
  };
}

/** The answer to an `OPTIONS` preflight request. */
export function preflight(): Response {
  return new Response(null, {
    status: 204,
    headers: { ...corsHeaders(), 'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS) },
  });
}

/** The same response with the CORS headers set (for responses built elsewhere). */
export function withCors(res: Response): Response {
  const headers = new Headers(res.headers);
  for (const [name, value] of Object.entries(corsHeaders())) headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
