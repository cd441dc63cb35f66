import { describe, expect, it } from 'vitest';
import { VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { errorResponse } from '../../supabase/functions/_shared/http/errors.ts';
import { preflight, withCors } from '../../supabase/functions/_shared/http/cors.ts';
import { bytesResponse, jsonResponse, wantsRawBundle } from '../../supabase/functions/_shared/http/response.ts';
import { Router } from '../../supabase/functions/_shared/http/router.ts';
import { base64ToBytes, bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';

function spyLogger() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  return { lines, logger: { error: (message: string, fields: Record<string, unknown>) => lines.push({ message, fields }) } };
}

describe('errorResponse', () => {
  it('maps a VidsyncError to its status and { error: { code, message, details } }', async () => {
    const res = errorResponse(new VidsyncError('pool_exhausted', 'No free address.', { details: { subnet: '10.0.0.0/30' } }));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ error: { code: 'pool_exhausted', message: 'No free address.', details: { subnet: '10.0.0.0/30' } } });
  });

  it('maps Postgres errors by SQLSTATE', async () => {
    const pgError = Object.assign(new Error('no free ip'), { code: 'VS001' });
    const res = errorResponse(pgError);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('pool_exhausted');
  });

  it('hides anything unforeseen behind a 500 and logs it with the request id', async () => {
    const { lines, logger } = spyLogger();
    const res = errorResponse(new TypeError('db password is hunter2'), { requestId: 'req-1', logger });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('req-1');
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('internal');
    expect(text).not.toContain('hunter2');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields.requestId).toBe('req-1');
  });

  it('keeps the message of 5xx VidsyncErrors out of the response too', async () => {
    const { lines, logger } = spyLogger();
    const res = errorResponse(new VidsyncError('ca_key_unreadable', 'detail for operators'), { logger });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ca_key_unreadable');
    expect(body.error.message).not.toContain('detail for operators');
    expect(lines).toHaveLength(1);
  });

  it('does not log a Postgres error\'s parameters', () => {
    const { lines, logger } = spyLogger();
    const pgError = Object.assign(new Error('connection reset'), { code: '08006', parameters: ['v1.SEALED.KEY'] });
    errorResponse(pgError, { logger });
    expect(JSON.stringify(lines)).not.toContain('SEALED');
  });
});

describe('responses and CORS', () => {
  it('answers preflight with 204 and the allowed headers', () => {
    const res = preflight();
    expect(res.status).toBe(204);
    // if-none-match: polled answers (peers, config) are conditional; PUT: a device's Syncthing ID.
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, x-client-info, apikey, content-type, accept, if-none-match');
    expect(res.headers.get('access-control-expose-headers')).toContain('etag');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, PATCH, DELETE, OPTIONS');
  });

  it('adds CORS headers to a foreign response, keeping status and body', async () => {
    const res = withCors(new Response('hi', { status: 418, headers: { 'x-a': 'b' } }));
    expect(res.status).toBe(418);
    expect(res.headers.get('x-a')).toBe('b');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toBe('hi');
  });

  it('jsonResponse and bytesResponse', async () => {
    expect(await jsonResponse({ a: 1 }, 201).json()).toEqual({ a: 1 });
    const res = bytesResponse(new Uint8Array([1, 2, 3]), 'bundle "x".zip');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="bundle__x_.zip"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('wantsRawBundle follows Accept and ?format', () => {
    const req = (accept?: string, query = '') =>
      new Request(`http://x/nebula/register${query}`, { headers: accept ? { accept } : {} });
    expect(wantsRawBundle(req())).toBe(false);
    expect(wantsRawBundle(req('application/json'))).toBe(false);
    expect(wantsRawBundle(req('application/octet-stream'))).toBe(true);
    expect(wantsRawBundle(req('application/zip;q=1'))).toBe(true);
    expect(wantsRawBundle(req('application/json, application/octet-stream'))).toBe(false);
    expect(wantsRawBundle(req(undefined, '?format=zip'))).toBe(true);
    expect(wantsRawBundle(req('application/octet-stream', '?format=json'))).toBe(false);
  });

  it('base64 round trip, strict decoding', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(bytesToBase64(new Uint8Array([1, 2, 3]))).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    for (const bad of ['abc', 'ab c', 'ab-_', '====', 'YQ==YQ==']) expect(base64ToBytes(bad)).toBeUndefined();
  });
});

describe('Router', () => {
  const router = new Router('/nebula')
    .on('POST', '/register', () => new Response('register'))
    .on('GET', '/projects/:projectId/devices/:deviceId', (_req, p) => Response.json(p));

  it('dispatches by method and path, with params', async () => {
    const res = await router.handle(new Request('http://x/nebula/projects/p%201/devices/d', { method: 'GET' }));
    expect(await res.json()).toEqual({ projectId: 'p 1', deviceId: 'd' });
    const reg = await router.handle(new Request('http://x/nebula/register', { method: 'POST' }));
    expect(await reg.text()).toBe('register');
  });

  it('throws not_found and method_not_allowed', () => {
    expect(() => router.handle(new Request('http://x/nebula/nope'))).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => router.handle(new Request('http://x/nebula/register'))).toThrow(expect.objectContaining({ code: 'method_not_allowed' }));
    expect(() => router.handle(new Request('http://x/nebula/projects/%E0%A4%A/devices/d'))).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});
