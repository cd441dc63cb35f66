// The `nebula` function as a plain `(Request) => Promise<Response>`, so the
// same code is served by Deno in production and called directly by tests.
// Routes (the seed's /api/nebula/*), below the function's own path /nebula:
//   POST /projects                  create a project; the caller owns it
//   GET  /projects                  the caller's projects: role, pool usage, CA expiry (ETag / 304)
//   GET  /projects/:projectId       one project and its devices, for the dashboard (ETag / 304)
//   POST /register                  allocate + sign + bundle, one transaction
//   GET  /ca/:projectId             the project's CA certificates (PEM)
//   POST /ca/:projectId/import      an admin imports an existing ca.crt + ca.key
//   POST /ca/:projectId/rotate      an admin has a new CA made; earlier ones stay trusted while needed
//   DELETE /ca/:projectId/:fingerprint  an admin retires an earlier CA: out of the trust set at once
//   GET  /config/:deviceId/ca       the ca.crt of the device's project (what agents fetch after a rotation)
//   GET  /status/:deviceId          IP, certificate fingerprint and expiry, last seen
//   GET  /config/:deviceId          the device's current nebula.yml, no re-signing
//   POST /release/:deviceId         release the IP (it cools before reuse)
//   PUT  /devices/:deviceId/syncthing  the device's Syncthing device ID
//   POST /devices/:deviceId/address    pin the device to a chosen free address (owners/admins), re-signed
//   GET  /peers/:deviceId           the project's other live devices, for Syncthing (ETag / 304)
//   POST /renew/:deviceId           a new certificate, same IP and name (optionally a new key)
//   POST /revoke/:deviceId          certificates onto the project's blocklist, IP released
//   POST /heartbeat/:deviceId       the device is alive (last seen, what it runs)
//   POST /credential/:deviceId      the device's own Ed25519 API key (device-signed requests)
//   GET  /audit/:projectId          the project's audit log, newest first (owners and admins)
//   POST|GET /projects/:projectId/invites, DELETE …/invites/:inviteId   invites (owners and admins)
//   POST /join                      redeem an invite's code: the caller becomes a member
//   POST /enroll                    redeem a device invite's code: a headless device registers without a user account
//   GET  /projects/:projectId/members, DELETE …/members/:userId        members; removal revokes their devices
//   PATCH /projects/:projectId/members/:userId   a member's role (owner transfer: make an owner, then step down)
//   DELETE /projects/:projectId     the owner deletes the project, confirmed by its name
//
// Around every route: who is calling (a user's JWT, a secret API key, a
// device signature), whether an anonymous user may do it, and for mutating
// routes (those with an `audit` action) one audit row per request: the route
// records success in its transaction, this file records refusals (audit.ts).
import type { Sql } from 'postgres';
import { openPostgres } from './db.ts';
import { createAuthenticator, createJwtVerifier } from '../_shared/auth/index.ts';
import type { Caller } from '../_shared/auth/index.ts';
import { isDeviceAuthorization } from '../_shared/auth/device-signature.ts';
import { deviceCaller } from './device-auth.ts';
import { fromPostgresError, isVidsyncError, VidsyncError } from '../_shared/errors.ts';
import { errorResponse, httpStatusOf, jsonResponse, preflight, Router, withCors } from '../_shared/http/index.ts';
import { importMasterKeys } from '../_shared/secrets/index.ts';
import { loadSettings } from './settings.ts';
import type { NebulaSettings } from './settings.ts';
import { ProjectCas } from './ca.ts';
import { AuditTrail, isRefusal, sourceIpOf } from './audit.ts';
import type { RouteHandler } from './context.ts';
import { createProject, deviceConfig, deviceStatus, getProjectCa, importProjectCa, projectAudit, registerDevice, releaseDevice } from './routes/index.ts';
import { deviceHeartbeat, pinDeviceAddress, renewDevice, revokeDevice, setDeviceCredential } from './routes/index.ts';
import { devicePeers, setSyncthingDeviceId } from './routes/index.ts';
import { getProject, listProjects } from './routes/projects-read.ts';
import { createInvite, joinProject, projectInvites, projectMembers, removeMember, revokeInvite } from './routes/index.ts';
import { deleteProject, enrollDevice, setMemberRole } from './routes/index.ts';
import { deviceCaBundle, retireProjectCa, rotateProjectCa } from './routes/index.ts';
import { routeClassOf } from './store/quotas.ts';
import { TenantLimiter } from './tenants.ts';

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly pattern: string;
  readonly handler: RouteHandler;
  /** The audit log's name for what a mutating route does; unset: the route changes nothing worth a row. */
  readonly audit?: string;
  /** Refused to Supabase's anonymous users (`is_anonymous: true`) unless NEBULA_ALLOW_ANONYMOUS_USERS is true. */
  readonly noAnonymous?: true;
  /** The route takes its rate tokens itself: its project is in the body, and the user's and the project's bucket are one statement (tenants.ts). */
  readonly takesTokens?: true;
}

const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: '/projects', handler: createProject, audit: 'project.create', noAnonymous: true },
  { method: 'GET', pattern: '/projects', handler: listProjects },
  { method: 'GET', pattern: '/projects/:projectId', handler: getProject },
  { method: 'DELETE', pattern: '/projects/:projectId', handler: deleteProject, audit: 'project.delete' },
  { method: 'POST', pattern: '/register', handler: registerDevice, audit: 'device.register', noAnonymous: true, takesTokens: true },
  { method: 'GET', pattern: '/ca/:projectId', handler: getProjectCa },
  { method: 'POST', pattern: '/ca/:projectId/import', handler: importProjectCa, audit: 'ca.import' },
  { method: 'POST', pattern: '/ca/:projectId/rotate', handler: rotateProjectCa, audit: 'ca.rotate' },
  { method: 'DELETE', pattern: '/ca/:projectId/:fingerprint', handler: retireProjectCa, audit: 'ca.retire' },
  { method: 'GET', pattern: '/status/:deviceId', handler: deviceStatus },
  { method: 'GET', pattern: '/config/:deviceId', handler: deviceConfig },
  { method: 'GET', pattern: '/config/:deviceId/ca', handler: deviceCaBundle },
  { method: 'POST', pattern: '/release/:deviceId', handler: releaseDevice, audit: 'device.release' },
  { method: 'POST', pattern: '/renew/:deviceId', handler: renewDevice, audit: 'device.renew' },
  { method: 'POST', pattern: '/revoke/:deviceId', handler: revokeDevice, audit: 'device.revoke' },
  { method: 'POST', pattern: '/heartbeat/:deviceId', handler: deviceHeartbeat },
  { method: 'POST', pattern: '/credential/:deviceId', handler: setDeviceCredential, audit: 'device.credential' },
  { method: 'GET', pattern: '/audit/:projectId', handler: projectAudit },
  { method: 'PUT', pattern: '/devices/:deviceId/syncthing', handler: setSyncthingDeviceId, audit: 'device.syncthing' },
  { method: 'POST', pattern: '/devices/:deviceId/address', handler: pinDeviceAddress, audit: 'device.address' },
  { method: 'GET', pattern: '/peers/:deviceId', handler: devicePeers },
  { method: 'POST', pattern: '/projects/:projectId/invites', handler: createInvite, audit: 'invite.create', noAnonymous: true },
  { method: 'GET', pattern: '/projects/:projectId/invites', handler: projectInvites },
  { method: 'DELETE', pattern: '/projects/:projectId/invites/:inviteId', handler: revokeInvite, audit: 'invite.revoke' },
  { method: 'POST', pattern: '/join', handler: joinProject, audit: 'member.join', noAnonymous: true },
  { method: 'POST', pattern: '/enroll', handler: enrollDevice, audit: 'device.enroll' },
  { method: 'GET', pattern: '/projects/:projectId/members', handler: projectMembers },
  { method: 'DELETE', pattern: '/projects/:projectId/members/:userId', handler: removeMember, audit: 'member.remove' },
  { method: 'PATCH', pattern: '/projects/:projectId/members/:userId', handler: setMemberRole, audit: 'member.role' },
];

export interface NebulaApp {
  handle(request: Request): Promise<Response>;
  close(): Promise<void>;
}

/** Where the function reports what happened at start and what failed later. `console` fits. */
export interface AppLogger {
  info(message: string): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The function as index.ts (and the local server) starts it: settings from
 * the environment, then the app. Never throws: a missing or malformed secret
 * gives one log line naming it, and every request then gets 503
 * `not_configured`, so the worker serves a clear answer instead of crashing
 * at each start.
 */
export async function bootNebula(env: (name: string) => string | undefined, log: AppLogger = console): Promise<NebulaApp> {
  let settings: NebulaSettings;
  let app: NebulaApp;
  try {
    settings = loadSettings(env);
    app = await createNebulaApp(settings, { log });
  } catch (error) {
    const reason = isVidsyncError(error) ? `${error.code}: ${error.message}` : String(error);
    log.error(`nebula: not configured, every request will get 503 not_configured (${reason})`);
    return notConfiguredApp();
  }
  log.info(
    `nebula: ready (database from ${settings.dbUrlSource}, pool ${settings.dbPoolSize}, ` +
      `TLS ${settings.dbSsl ?? 'as the URL says'}, prepared statements ${settings.dbPreparedStatements ? 'on' : 'off'}, ` +
      `${settings.caMasterKeys.length} CA master key(s))`,
  );
  return app;
}

function notConfiguredApp(): NebulaApp {
  return {
    handle: (request) =>
      Promise.resolve(
        request.method === 'OPTIONS'
          ? preflight()
          : jsonResponse({ error: { code: 'not_configured', message: 'The function is not configured; its log says what is missing.' } }, httpStatusOf('not_configured')),
      ),
    close: () => Promise.resolve(),
  };
}

export async function createNebulaApp(settings: NebulaSettings, options: { sql?: Sql; log?: AppLogger } = {}): Promise<NebulaApp> {
  const log = options.log ?? console;
  // A pool that survives a connection dropped under a request (db.ts).
  const sql = options.sql ?? openPostgres(settings.dbUrl, {
    // Prepared statements on the direct connection, not behind the transaction pooler (see settings.ts).
    prepare: settings.dbPreparedStatements,
    max: settings.dbPoolSize,
    idle_timeout: settings.dbIdleTimeoutSeconds,
    ...(settings.dbSsl ? { ssl: settings.dbSsl } : {}),
    onnotice: () => {},
  }, log);
  const authenticate = createAuthenticator({
    verifyJwt: createJwtVerifier({
      // Legacy API keys (anon, service_role: HS256 JWTs) carry `iss: "supabase"`.
      issuer: settings.legacyJwtSecret ? [`${settings.supabaseUrl}/auth/v1`, 'supabase'] : `${settings.supabaseUrl}/auth/v1`,
      jwks: settings.jwks ?? jwksUrlOf(settings),
      // SUPABASE_JWKS is a snapshot taken at the worker's start: a key rotated in since is fetched (at most once per 30 s).
      jwksUrl: settings.jwks ? jwksUrlOf(settings) : undefined,
      hs256Secret: settings.legacyJwtSecret,
    }),
    secretKeys: settings.secretKeys,
  });
  const cas = new ProjectCas(await importMasterKeys(settings.caMasterKeys), settings);
  // One user's burst never takes every connection, and their rate limit is checked before their request runs (tenants.ts).
  const tenants = new TenantLimiter(sql, { maxInFlight: settings.dbPoolSize - 1 });

  async function callerOf(request: Request): Promise<Caller> {
    // A device may sign its own device-scoped requests instead (device-auth.ts).
    if (isDeviceAuthorization(request.headers.get('authorization'))) return deviceCaller(sql, request);
    return authenticate(request.headers);
  }

  // The gateway hands the function `/nebula/...`.
  const router = new Router('/nebula');
  for (const route of ROUTES) {
    router.on(route.method, route.pattern, async (request, params) => {
      const requestId = crypto.randomUUID();
      const audit = new AuditTrail(route.audit, { requestId, sourceIp: sourceIpOf(request.headers, settings.clientIpHeader), params });
      let refused: Caller | undefined;
      try {
        // Every route needs a verified caller; what the caller may do is decided per route and by RLS.
        const caller = await callerOf(request);
        audit.caller = caller;
        refused = caller;
        if (route.noAnonymous && caller.claims.is_anonymous === true && !settings.allowAnonymousUsers) {
          throw new VidsyncError('anonymous_not_allowed', 'anonymous users may not do this; sign up with an email or a provider first');
        }
        const response = await tenants.admit(caller, routeClassOf(route.method, route.pattern), () =>
          route.handler({ request, url: new URL(request.url), caller, params, sql, cas, settings, audit, requestId }),
          { routeTakesTokens: route.takesTokens },
        );
        // A route that did not record its success in its transaction still leaves its row, just after it.
        if (route.audit && !audit.recorded && response.status < 400) await writeAlone(audit, 'ok', response.status);
        response.headers.set('x-request-id', requestId);
        return response;
      } catch (error) {
        const code = isVidsyncError(error) ? error.code : fromPostgresError(error)?.code;
        // No row for a caller without a verified identity (none, or the anon key): anyone could write rows without limit.
        if (route.audit && code && isRefusal(code) && refused && refused.role !== 'anon') {
          await audit.aboutBody(request);
          // In the caller's turn, like their requests: a flood of refusals holds at most their share of connections (tenants.ts).
          await tenants.gated(refused, () => writeAlone(audit, code, httpStatusOf(code)));
        }
        throw Object.assign(new RequestFailure(error), { requestId });
      }
    });
  }

  /** A row in a statement of its own; a failure to write is logged, never the caller's problem. */
  async function writeAlone(audit: AuditTrail, result: string, status: number): Promise<void> {
    try {
      await audit.recordAlone(sql, result, status);
    } catch (error) {
      log.error('audit row not written', { requestId: audit.requestId, action: audit.action, result, error: String(error) });
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method === 'OPTIONS') return preflight();
    try {
      return withCors(await router.handle(request));
    } catch (error) {
      if (error instanceof RequestFailure) return errorResponse(error.cause, { requestId: error.requestId });
      return errorResponse(error);
    }
  }

  return { handle, close: () => (options.sql ? Promise.resolve() : sql.end({ timeout: 5 })) };
}

/** Carries a route's error to handle() with the request id its audit row and log line share. */
class RequestFailure extends Error {
  requestId = '';
  constructor(cause: unknown) {
    super('request failed', { cause });
  }
}

function jwksUrlOf(settings: NebulaSettings): URL {
  return new URL(`${settings.supabaseUrl}/auth/v1/.well-known/jwks.json`);
}
