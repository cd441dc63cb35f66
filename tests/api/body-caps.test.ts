// Request bodies are read with a hard cap on every path, refusals included:
// a chunked body (no Content-Length) larger than the cap is refused after at
// most about the cap has been read, not buffered whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** A chunked body of TOTAL bytes of JSON-ish filler, counting what the client got to send. */
function bigStream(): { body: ReadableStream<Uint8Array>; sent: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(CHUNK).fill(0x20);
  chunk[0] = 0x7b; // '{'
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= TOTAL) return controller.close();
      sent += CHUNK;
      controller.enqueue(sent === CHUNK ? chunk : chunk.subarray(1));
    },
  });
  return { body, sent: () => sent };
}

async function post(path: string, authorization: string): Promise<{ status: number; sent: number }> {
  const stream = bigStream();
  const res = await fetch(`${api.functions.functionsUrl}/nebula/${path}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: stream.body,
    duplex: 'half',
  } as RequestInit);
  const status = res.status;
  await res.body?.cancel().catch(() => {});
  return { status, sent: stream.sent() };
}

describe('oversized chunked bodies', () => {
  it('a refused caller\'s body is not read whole (401, well before 64 MiB)', async () => {
    const r = await post('register', 'Bearer not-a-token');
    expect(r.status).toBe(401);
    expect(r.sent).toBeLessThan(TOTAL / 2);
    expect((await api.fetch('register', { method: 'POST', token: 'x' })).status).toBe(401); // still answering
  }, 60_000);

  it('a device-signed request\'s body is capped (413 payload_too_large, well before 64 MiB)', async () => {
    const deviceId = crypto.randomUUID();
    const { privateKey } = await generateEd25519KeyPair();
    const authorization = await signDeviceRequest({ deviceId, privateKey }, { method: 'POST', pathAndQuery: `/nebula/heartbeat/${deviceId}`, body: new Uint8Array(0) });
    const r = await post(`heartbeat/${deviceId}`, authorization);
    expect(r.status).toBe(413);
    expect(r.sent).toBeLessThan(TOTAL / 2);
    expect((await api.fetch(`status/${deviceId}`, { token: 'x' })).status).toBe(401);
  }, 60_000);
});
