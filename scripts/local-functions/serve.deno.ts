// The local stand-in for Supabase's edge gateway, run by real Deno: it serves
// the `nebula` function's own code at Supabase's local URL layout
// (http://127.0.0.1:54321/functions/v1/nebula/...) and publishes the local
// auth server's JWKS at /auth/v1/.well-known/jwks.json, as a hosted project does.
// The function starts the way its index.ts starts it (bootNebula: a missing
// secret answers 503 not_configured rather than stopping the server).
// LOCAL_JWKS_FILE, when set, is read at every JWKS request, so tests can
// rotate the auth server's keys while the function runs.
import { bootNebula } from '../../supabase/functions/nebula/app.ts';

const env = (name: string) => Deno.env.get(name);
const app = await bootNebula(env);
const jwksFile = env('LOCAL_JWKS_FILE');
const jwks = env('SUPABASE_JWKS') ?? '{"keys":[]}';
const port = Number(env('LOCAL_FUNCTIONS_PORT') ?? '54321');

const server = Deno.serve(
  {
    hostname: '127.0.0.1',
    port,
    // The parent process reads this line to learn the port (0 picks a free one).
    onListen: ({ port }) => console.log(JSON.stringify({ listening: port })),
  },
  async (request, info) => {
    const url = new URL(request.url);
    if (url.pathname === '/auth/v1/.well-known/jwks.json') {
      const body = jwksFile ? await Deno.readTextFile(jwksFile) : jwks;
      return new Response(body, { headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' } });
    }
    if (url.pathname === '/health') return new Response('ok');
    // The hosted gateway strips /functions/v1 before the function sees the path.
    if (url.pathname.startsWith('/functions/v1/')) {
      url.pathname = url.pathname.slice('/functions/v1'.length);
      // As the hosted platform does (Cloudflare), the client's address goes
      // in cf-connecting-ip, overwriting whatever the client sent there.
      const headers = new Headers(request.headers);
      headers.set('cf-connecting-ip', info.remoteAddr.hostname);
      // A fresh Request, not `new Request(url, request)`: copying would tie
      // in the incoming request's abort signal, which Deno fires on success.
      return app.handle(new Request(url, { method: request.method, headers, body: request.body }));
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: `no such path: ${url.pathname}` } }), {
      status: 404,
      headers: { 'content-type': 'application/json' },
    });
  },
);

/** How long open connections (keep-alive clients) may delay a stop. */
const SHUTDOWN_GRACE_MS = 1000;

let stopping = false;
async function stop(): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.race([server.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
    await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
  }
  Deno.exit(0);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(signal, () => void stop());

// The parent holds our stdin open; when it dies, even by SIGKILL, the pipe
// closes and we stop too, so no server outlives the dev stack or a test run.
(async () => {
  for await (const _ of Deno.stdin.readable) {
    // nothing is sent; we only wait for the end of the stream
  }
  await stop();
})();
