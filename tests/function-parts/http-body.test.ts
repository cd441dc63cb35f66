import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { MAX_JSON_BODY_BYTES, readJsonBody } from '../../supabase/functions/_shared/http/body.ts';
import { RegisterBody } from '../../supabase/functions/_shared/http/schemas.ts';
import { codeOf } from '../support/outcomes.ts';

const Small = z.strictObject({ name: z.string().max(10) });

function post(body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }): Request {
  return new Request('http://localhost/nebula/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

/** A body that streams `chunks` × `chunkSize` bytes and records how many were pulled. */
function countingStream(chunks: number, chunkSize: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x20));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('readJsonBody', () => {
  it('returns the validated value', async () => {
    expect(await readJsonBody(post('{"name":"ok"}'), Small)).toEqual({ name: 'ok' });
  });

  it('accepts a charset parameter and +json types', async () => {
    expect(await readJsonBody(post('{"name":"a"}', { 'content-type': 'application/json; charset=utf-8' }), Small)).toEqual({ name: 'a' });
    expect(await readJsonBody(post('{"name":"b"}', { 'content-type': 'application/merge-patch+json' }), Small)).toEqual({ name: 'b' });
  });

  it('refuses a non-JSON content type with invalid_json', async () => {
    expect(await codeOf(readJsonBody(post('{"name":"ok"}', { 'content-type': 'text/plain' }), Small))).toBe('invalid_json');
    expect(await codeOf(readJsonBody(post('{"name":"ok"}', {}), Small))).toBe('invalid_json');
  });

  it('refuses bad JSON, empty bodies and invalid UTF-8 with invalid_json', async () => {
    expect(await codeOf(readJsonBody(post('{"name":'), Small))).toBe('invalid_json');
    expect(await codeOf(readJsonBody(post(''), Small))).toBe('invalid_json');
    expect(await codeOf(readJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d])), Small))).toBe('invalid_json');
  });

  it('does not echo the input in the invalid_json message', async () => {
    const err = await readJsonBody(post('{"secret-looking-input": nope}'), Small).catch((e: unknown) => e);
    expect(isVidsyncError(err, 'invalid_json')).toBe(true);
    expect((err as Error).message).not.toContain('secret-looking-input');
  });

  it('answers 413 from Content-Length alone, before reading', async () => {
    const { stream, state } = countingStream(100, 1024);
    const req = post(stream, { 'content-type': 'application/json', 'content-length': String(MAX_JSON_BODY_BYTES + 1) });
    expect(await codeOf(readJsonBody(req, Small))).toBe('payload_too_large');
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading as soon as the cap is passed when the length is not declared', async () => {
    const { stream, state } = countingStream(1000, 1024); // 1000 KiB offered
    expect(await codeOf(readJsonBody(post(stream), Small, { maxBytes: 4096 }))).toBe('payload_too_large');
    expect(state.pulled).toBeLessThanOrEqual(6);
    expect(state.cancelled).toBe(true);
  });

  it('accepts a body of exactly the cap', async () => {
    const json = JSON.stringify({ name: 'x' });
    const padded = json + ' '.repeat(100 - json.length);
    expect(await readJsonBody(post(padded), Small, { maxBytes: 100 })).toEqual({ name: 'x' });
    expect(await codeOf(readJsonBody(post(`${padded} `), Small, { maxBytes: 100 }))).toBe('payload_too_large');
  });

  it('reports zod failures as validation_failed with path and message per issue', async () => {
    const err = await readJsonBody(post(JSON.stringify({ name: 'far too long a name', extra: 1 })), Small).catch((e: unknown) => e);
    expect(isVidsyncError(err, 'validation_failed')).toBe(true);
    const issues = (err as { details: { issues: { path: string; message: string }[] } }).details.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['', 'name']);
    expect(issues.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(true);
  });

  it('rejects unknown keys of the register body (strict)', async () => {
    const body = {
      projectId: '3f2c1a9e-1111-4222-8333-abcdefabcdef',
      deviceId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
      deviceName: 'laptop',
      publicKey: '-----BEGIN NEBULA X25519 PUBLIC KEY-----\nAAAA\n-----END NEBULA X25519 PUBLIC KEY-----\n',
      isAdmin: true,
    };
    const err = await readJsonBody(post(JSON.stringify(body)), RegisterBody).catch((e: unknown) => e);
    expect(isVidsyncError(err, 'validation_failed')).toBe(true);
  });

  it('bounds the reported issues and their length', async () => {
    const Many = z.strictObject({ list: z.array(z.number()) });
    const hugeKey = 'k'.repeat(5000);
    const err = await readJsonBody(post(JSON.stringify({ list: Array(500).fill('x'), [hugeKey]: 1 })), Many).catch((e: unknown) => e);
    const details = (err as { details: { issues: { message: string }[]; truncated?: boolean } }).details;
    expect(details.issues.length).toBeLessThanOrEqual(20);
    expect(details.truncated).toBe(true);
    expect(JSON.stringify(details).length).toBeLessThan(20 * 400);
  });
});
