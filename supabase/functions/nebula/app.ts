// The `nebula` function as a plain `(Request) => Promise<Response>`, so the
// same code is served by Deno in production and called directly by tests.
// Routes (the seed's /api/nebula/*), below the function's own path /nebula:
//   POST /projects                  create a project; the caller owns it
//   POST /register                  allocate + sign + bundle, one transaction
//   GET  /ca/:projectId             the project's CA certificates (PEM)
//   POST /ca/:projectId/import      an admin imports an existing ca.crt + ca.key
//   GET  /status/:deviceId          IP, certificate fingerprint and expiry, last seen
//   GET  /config/:deviceId          the device's current nebula.yml, no re-signing
//   POST /release/:deviceId         release the IP (it cools before reuse)
//   PUT  /devices/:deviceId/syncthing  the device's Syncthing device ID
//   GET  /peers/:deviceId           the project's other live devices, for Syncthing (ETag / 304)
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { createJwtVerifier } from '../_shared/auth/index.ts';
import { errorResponse, preflight, Router, withCors } from '../_shared/http/index.ts';
import { importMasterKey } from '../_shared/secrets/index.ts';
import type { NebulaSettings } from './settings.ts';
import { ProjectCas } from './ca.ts';
import type { RouteHandler } from './context.ts';
import { createProject, deviceConfig, deviceStatus, getProjectCa, importProjectCa, registerDevice, releaseDevice } from './routes/index.ts';
import { devicePeers, setSyncthingDeviceId } from './routes/index.ts';

const ROUTES: ReadonlyArray<readonly [method: 'GET' | 'POST' | 'PUT', pattern: string, handler: RouteHandler]> = [
  ['POST', '/projects', createProject],
  ['POST', '/register', registerDevice],
  ['GET', '/ca/:projectId', getProjectCa],
  ['POST', '/ca/:projectId/import', importProjectCa],
  ['GET', '/status/:deviceId', deviceStatus],
  ['GET', '/config/:deviceId', deviceConfig],
  ['POST', '/release/:deviceId', releaseDevice],
  ['PUT', '/devices/:deviceId/syncthing', setSyncthingDeviceId],
  ['GET', '/peers/:deviceId', devicePeers],
];

export interface NebulaApp {
  handle(request: Request): Promise<Response>;
  close(): Promise<void>;
}

export async function createNebulaApp(settings: NebulaSettings, options: { sql?: Sql } = {}): Promise<NebulaApp> {
  // Prepared statements on the direct connection, not behind the transaction pooler (see settings.ts).
  const sql = options.sql ?? postgres(settings.dbUrl, { prepare: settings.dbPreparedStatements, max: settings.dbPoolSize, onnotice: () => {} });
  const verify = createJwtVerifier({
    issuer: `${settings.supabaseUrl}/auth/v1`,
    jwks: settings.jwks ?? new URL(`${settings.supabaseUrl}/auth/v1/.well-known/jwks.json`),
    hs256Secret: settings.legacyJwtSecret,
  });
  const cas = new ProjectCas(await importMasterKey(settings.caMasterKey), settings);

  // The gateway hands the function `/nebula/...`.
  const router = new Router('/nebula');
  for (const [method, pattern, handler] of ROUTES) {
    router.on(method, pattern, async (request, params) => {
      // Every route needs a verified caller; what the caller may do is decided per route and by RLS.
      const caller = await verify(request.headers.get('authorization'));
      return handler({ request, url: new URL(request.url), caller, params, sql, cas, settings });
    });
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method === 'OPTIONS') return preflight();
    try {
      return withCors(await router.handle(request));
    } catch (error) {
      return errorResponse(error);
    }
  }

  return { handle, close: () => (options.sql ? Promise.resolve() : sql.end({ timeout: 5 })) };
}
