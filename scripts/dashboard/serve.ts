// A static file server for the built dashboard on loopback, for `npm run dev`
// and the browser tests. It serves dashboard/dist and answers /config.json
// from memory: locally that config carries the demo users' tokens, which is
// why this server exists only in the local stack (a real host serves the
// folder and a config.json without them).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

export interface DashboardServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** The built dashboard (scripts/dashboard/build.ts). */
  readonly dir: string;
  /** What /config.json answers. */
  readonly config: unknown;
  /** 0: any free port. */
  readonly port?: number;
}

export async function serveDashboard(options: ServeOptions): Promise<DashboardServer> {
  const dir = path.resolve(options.dir);
  const configText = JSON.stringify(options.config);
  let hosts: string[] = [];
  const server = createServer((req, res) => {
    void answer(req, res).catch(() => {
      // Whatever went wrong, one request fails, never the stack (the server runs inside npm run dev).
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    // The config holds the demo users' tokens: a page of another name that resolves here (DNS rebinding) gets nothing.
    if (!hosts.includes(req.headers.host ?? '')) {
      res.writeHead(403, { ...headers, 'content-type': 'text/plain' }).end('this server answers to 127.0.0.1 and localhost only');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { ...headers, 'content-type': 'text/plain' }).end('malformed path');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.json']! }).end(configText);
      return;
    }
    const file = path.join(dir, pathname === '/' ? 'index.html' : pathname);
    // Nothing outside the folder, whatever the path says.
    if (file !== dir && !file.startsWith(dir + path.sep)) {
      res.writeHead(404, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found');
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
