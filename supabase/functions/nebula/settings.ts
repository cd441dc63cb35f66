// Settings of the `nebula` function, read once from its environment. Supabase
// injects the SUPABASE_* variables; the NEBULA_* ones are our own secrets
// (`supabase secrets set NAME=value`: Supabase forbids the SUPABASE_ prefix).
import type { JSONWebKeySet } from 'jose';
import { VidsyncError } from '../_shared/errors.ts';

export interface NebulaSettings {
  /** Direct Postgres connection (Supabase injects it, as the `postgres` role). */
  readonly dbUrl: string;
  /** The project's URL; the JWT issuer is `${supabaseUrl}/auth/v1`. */
  readonly supabaseUrl: string;
  /** Public keys of the auth server, if given inline (SUPABASE_JWKS). */
  readonly jwks?: JSONWebKeySet;
  /** Legacy HS256 secret, only when the project still signs with one. */
  readonly legacyJwtSecret?: string;
  /** base64 of 32 bytes: seals every project's CA private key (AES-256-GCM). */
  readonly caMasterKey: string;
  /** Lifetime of a project CA created by us. */
  readonly caLifetimeSeconds: number;
  /** Lifetime of a host certificate; short, because renewal is cheap. */
  readonly hostCertLifetimeSeconds: number;
  /** Concurrent Postgres connections of one function instance. */
  readonly dbPoolSize: number;
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
  dbPoolSize: 10,
} as const;

/** Supavisor's transaction-mode port, which keeps no prepared statement from one transaction to the next. */
const TRANSACTION_POOLER_PORT = '6543';

type Env = (name: string) => string | undefined;

export function loadSettings(env: Env): NebulaSettings {
  const jwksText = env('SUPABASE_JWKS');
  return {
    dbUrl: required(env, 'SUPABASE_DB_URL'),
    supabaseUrl: required(env, 'SUPABASE_URL').replace(/\/+$/, ''),
    jwks: jwksText ? parseJwks(jwksText) : undefined,
    legacyJwtSecret: env('NEBULA_LEGACY_JWT_SECRET') || undefined,
    caMasterKey: required(env, 'NEBULA_CA_MASTER_KEY'),
    caLifetimeSeconds: positiveInt(env, 'NEBULA_CA_LIFETIME_SECONDS', DEFAULTS.caLifetimeSeconds),
    hostCertLifetimeSeconds: positiveInt(env, 'NEBULA_HOST_CERT_LIFETIME_SECONDS', DEFAULTS.hostCertLifetimeSeconds),
    dbPoolSize: positiveInt(env, 'NEBULA_DB_POOL_SIZE', DEFAULTS.dbPoolSize),
    dbPreparedStatements: boolean(env, 'NEBULA_DB_PREPARED_STATEMENTS', portOf(required(env, 'SUPABASE_DB_URL')) !== TRANSACTION_POOLER_PORT),
  };
}

function required(env: Env, name: string): string {
  const value = env(name);
  if (!value) throw new VidsyncError('internal', `the function is not configured: ${name} is not set`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const text = env(name);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new VidsyncError('internal', `the function is not configured: ${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = env(name);
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new VidsyncError('internal', `the function is not configured: ${name} must be true or false, got ${JSON.stringify(text)}`);
}

function portOf(dbUrl: string): string | undefined {
  try {
    return new URL(dbUrl).port;
  } catch {
    return undefined; // postgres.js reports a malformed URL when it connects
  }
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
  throw new VidsyncError('internal', 'the function is not configured: SUPABASE_JWKS is not a JSON Web Key Set');
}
