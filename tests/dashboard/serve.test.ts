// The local dashboard server runs inside npm run dev: a bad request fails
// alone (a malformed path once ended the whole stack), and only loopback
// names get an answer (its config.json holds the demo users' tokens, which a
// page of another name resolving here must not read: DNS rebinding).
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard, type DashboardServer } from '../../scripts/dashboard/serve.ts';

let dir: string;
let server: DashboardServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidsync-serve-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  server = await serveDashboard({ dir, config: { demoUsers: [{ name: 'alice', accessToken: 'secret-token' }] } });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A raw GET (fetch would normalise the path and refuse to set Host). */
function get(path: string, host?: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local dashboard server', () => {
  it('answers a malformed path 400 and goes on serving', async () => {
    expect((await get('/%E0')).status).toBe(400);
    expect((await get('/')).status).toBe(200);
  });

  it('answers loopback names only: another Host gets no config', async () => {
    const port = new URL(server.url).port;
    expect(await get('/config.json', `rebind.example:${port}`)).toMatchObject({ status: 403 });
    expect((await get('/config.json', `localhost:${port}`)).body).toContain('secret-token');
    expect((await get('/config.json')).body).toContain('secret-token');
  });
});
