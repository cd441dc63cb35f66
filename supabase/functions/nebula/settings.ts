// Settings of the `nebula` function, read once from its environment. Supabase
// injects the SUPABASE_* variables; the NEBULA_* ones are our own secrets
// (`supabase secrets set NAME=value`: Supabase forbids the SUPABASE_ prefix).
import type { JSONWebKeySet } from 'jose';
import { VidsyncError } from '../_shared/errors.ts';

export interface NebulaSettings {
  /**
   * The Postgres connection: NEBULA_DB_URL (the Supavisor transaction-mode
   * URL, port 6543) when set, else SUPABASE_DB_URL (Supabase injects the
   * direct connection, port 5432, as the `postgres` role).
   */
  readonly dbUrl: string;
  /** Where dbUrl came from, for the start-up log line (never the URL itself: it holds the password). */
  readonly dbUrlSource: 'NEBULA_DB_URL' | 'SUPABASE_DB_URL';
  /**
   * TLS to Postgres: 'require' for every host that is not this machine (a
   * stronger `sslmode=verify-full|verify-ca` in the URL is kept); `undefined`
   * leaves a local URL as it is.
   */
  readonly dbSsl: 'require' | undefined;
  /** The project's URL; the JWT issuer is `${supabaseUrl}/auth/v1`. */
  readonly supabaseUrl: string;
  /** Public keys of the auth server, if given inline (SUPABASE_JWKS); a token with an unknown `kid` makes the function refetch them from the project. */
  readonly jwks?: JSONWebKeySet;
  /** Legacy HS256 secret, only when the project still signs with one. */
  readonly legacyJwtSecret?: string;
  /** The project's `sb_secret_…` API keys (SUPABASE_SECRET_KEYS, a JSON map name → key): a caller presenting one in `apikey` is the service role. */
  readonly secretKeys: readonly string[];
  /**
   * The CA master keys (base64 of 32 bytes each), newest first: the first
   * seals, every one opens. NEBULA_CA_MASTER_KEYS (comma-separated), or
   * NEBULA_CA_MASTER_KEY alone.
   */
  readonly caMasterKeys: readonly string[];
  /**
   * The request header holding the client's address for the audit log: one
   * the platform sets and a client cannot (hosted Supabase: Cloudflare's
   * `cf-connecting-ip`; the local server sets it the same way).
   */
  readonly clientIpHeader: string;
  /** Whether Supabase's anonymous users (`is_anonymous: true`) may create projects and register devices. */
  readonly allowAnonymousUsers: boolean;
  /** Lifetime of a project CA created by us. */
  readonly caLifetimeSeconds: number;
  /** Lifetime of a host certificate; short, because renewal is cheap. */
  readonly hostCertLifetimeSeconds: number;
  /** Concurrent Postgres connections of one function instance. */
  readonly dbPoolSize: number;
  /** Seconds an unused connection stays open: a worker lives minutes, and idle connections count against the plan's limit. */
  readonly dbIdleTimeoutSeconds: number;
  /**
   * Whether queries run as named prepared statements. The direct connection
   * supports them; Supavisor's transaction mode (port 6543) does not. They
   * halve a query's round trips: without them postgres.js asks the server
   * for the parameter types first, and cannot pipeline the query.
   */
  readonly dbPreparedStatements: boolean;
}

export const DEFAULTS = {
  /** Two years: long enough that CA expiry is a planned event, not a surprise (nebula's own default is one year). */
  caLifetimeSeconds: 2 * 365 * 24 * 3600,
  /** Seven days. Also the database's default IP cooling period: a released IP is not reused while a certificate for it may still be valid. */
  hostCertLifetimeSeconds: 7 * 24 * 3600,
  /**
   * Three per instance: hosted plans allow 60 (Micro) to a few hundred
   * direct connections, shared with PostgREST, Auth and Storage, and an
   * instance serves one request at a time per CPU (README: the connection arithmetic).
   */
  dbPoolSize: 3,
  dbIdleTimeoutSeconds: 20,
  clientIpHeader: 'cf-connecting-ip',
} as const;

/** Supavisor's transaction-mode port, which keeps no prepared statement from one transaction to the next. */
const TRANSACTION_POOLER_PORT = '6543';

type Env = (name: string) => string | undefined;

export function loadSettings(env: Env): NebulaSettings {
  const jwksText = env('SUPABASE_JWKS');
  const dbUrlSource = env('NEBULA_DB_URL') ? 'NEBULA_DB_URL' : 'SUPABASE_DB_URL';
  const dbUrl = required(env, dbUrlSource);
  return {
    dbUrl,
    dbUrlSource,
    dbSsl: postgresTlsFor(dbUrl),
    supabaseUrl: required(env, 'SUPABASE_URL').replace(/\/+$/, ''),
    jwks: jwksText ? parseJwks(jwksText) : undefined,
    legacyJwtSecret: env('NEBULA_LEGACY_JWT_SECRET') || undefined,
    secretKeys: parseSecretKeys(env('SUPABASE_SECRET_KEYS')),
    caMasterKeys: masterKeys(env),
    allowAnonymousUsers: boolean(env, 'NEBULA_ALLOW_ANONYMOUS_USERS', false),
    clientIpHeader: (env('NEBULA_CLIENT_IP_HEADER') || DEFAULTS.clientIpHeader).toLowerCase(),
    caLifetimeSeconds: positiveInt(env, 'NEBULA_CA_LIFETIME_SECONDS', DEFAULTS.caLifetimeSeconds),
    hostCertLifetimeSeconds: positiveInt(env, 'NEBULA_HOST_CERT_LIFETIME_SECONDS', DEFAULTS.hostCertLifetimeSeconds),
    dbPoolSize: positiveInt(env, 'NEBULA_DB_POOL_SIZE', DEFAULTS.dbPoolSize),
    dbIdleTimeoutSeconds: positiveInt(env, 'NEBULA_DB_IDLE_TIMEOUT_SECONDS', DEFAULTS.dbIdleTimeoutSeconds),
    dbPreparedStatements: boolean(env, 'NEBULA_DB_PREPARED_STATEMENTS', portOf(dbUrl) !== TRANSACTION_POOLER_PORT),
  };
}

/** A configuration error: every request answers 503 `not_configured` until it is fixed. */
function notConfigured(message: string): VidsyncError {
  return new VidsyncError('not_configured', `the function is not configured: ${message}`);
}

function required(env: Env, name: string): string {
  const value = env(name);
  if (!value) throw notConfigured(`${name} is not set`);
  return value;
}

/** NEBULA_CA_MASTER_KEYS (newest first, comma-separated) or NEBULA_CA_MASTER_KEY; not both, so no one wonders which seals. */
function masterKeys(env: Env): string[] {
  const list = env('NEBULA_CA_MASTER_KEYS');
  const single = env('NEBULA_CA_MASTER_KEY');
  if (list && single) throw notConfigured('set NEBULA_CA_MASTER_KEYS or NEBULA_CA_MASTER_KEY, not both');
  if (!list && !single) throw notConfigured('NEBULA_CA_MASTER_KEYS (or NEBULA_CA_MASTER_KEY) is not set');
  const keys = (list ?? single!).split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (keys.length === 0) throw notConfigured('NEBULA_CA_MASTER_KEYS lists no key');
  return keys;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const text = env(name);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw notConfigured(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = env(name);
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === 'false') return text === 'true';
  throw notConfigured(`${name} must be true or false, got ${JSON.stringify(text)}`);
}

function portOf(dbUrl: string): string | undefined {
  try {
    return new URL(dbUrl).port;
  } catch {
    return undefined; // postgres.js reports a malformed URL when it connects
  }
}

/** Hosts that are this machine: the local stack and tests, where TLS is the URL's business. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** postgres.js's `ssl` for a database URL; also what the operator's scripts use (scripts/ops/). */
export function postgresTlsFor(dbUrl: string): 'require' | undefined {
  let url: URL;
  try {
    url = new URL(dbUrl);
  } catch {
    throw notConfigured('the database URL is not a URL');
  }
  if (url.hostname === '' || LOCAL_HOSTS.has(url.hostname)) return undefined;
  const mode = url.searchParams.get('sslmode');
  // A verifying mode the URL asks for stays (postgres.js reads `sslrootcert=system`
  // as verify-full too); anything weaker (disable, allow, prefer, none) becomes
  // require: encrypted, the server's certificate not checked.
  if (mode === 'verify-full' || mode === 'verify-ca' || url.searchParams.get('sslrootcert') === 'system') return undefined;
  return 'require';
}

/** SUPABASE_SECRET_KEYS is a JSON object `{ "default": "sb_secret_…", … }`; unset means none. */
function parseSecretKeys(text: string | undefined): string[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notConfigured('SUPABASE_SECRET_KEYS is not JSON');
  }
  const values = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.values(parsed) : Array.isArray(parsed) ? parsed : null;
  if (!values || !values.every((v): v is string => typeof v === 'string' && v.length >= 16)) {
    throw notConfigured('SUPABASE_SECRET_KEYS is not a map of key names to secret keys');
  }
  return values;
}

function parseJwks(text: string): JSONWebKeySet {
  try {
    const parsed = JSON.parse(text) as unknown;
    // Supabase documents SUPABASE_JWKS as a JWKS object; accept a bare array of keys too.
    if (Array.isArray(parsed)) return { keys: parsed as JSONWebKeySet['keys'] };
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)) {
      return parsed as JSONWebKeySet;
    }
  } catch {
    // fall through to the coded error
  }
  throw notConfigured('SUPABASE_JWKS is not a JSON Web Key Set');
}
