// The function under test, served by real Deno next to the test run's
// database, and supabase-js clients for the local users, as the desktop app
// would use them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startLocalFunctions } from '../../scripts/local-functions/start.ts';
import { freshDatabase } from './db.ts';
import type { FreshDatabase } from './db.ts';
import type { LocalFunctions, LocalUser } from '../../scripts/local-functions/start.ts';

export interface ApiHarness {
  readonly functions: LocalFunctions;
  /** Where the function's dev secrets (issuer key, CA master key) live. */
  readonly stateDir: string;
  /** The database as its owner, to look behind the API. */
  readonly sql: Sql;
  /** A supabase-js client acting with this token (a user's, the anon key or the service key). */
  client(token: string): SupabaseClient;
  user(name: string): Promise<LocalUser>;
  /** Raw fetch against the function, for inputs supabase-js would not send. */
  fetch(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export interface ApiOptions {
  /** Another database than the run's shared one (see freshDatabase()). */
  readonly dbUrl?: string;
  /** Extra environment for the function (NEBULA_* settings). */
  readonly env?: Record<string, string>;
  /** Receives the function's log lines (its stdout and stderr). */
  readonly log?: (line: string) => void;
}

export async function startApi(options: ApiOptions = {}): Promise<ApiHarness> {
  const dbUrl = options.dbUrl ?? inject('dbUrl');
  const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-api-'));
  const functions = await startLocalFunctions({ dbUrl, port: 0, stateDir, env: options.env, log: options.log });
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  return {
    functions,
    stateDir,
    sql,
    client: (token) =>
      createClient(functions.supabaseUrl, functions.anonKey, {
        accessToken: async () => token,
        global: { headers: { 'x-client-info': 'vidsync-tests' } },
      }),
    user: async (name) => functions.userToken(`${name}-${crypto.randomUUID().slice(0, 8)}@example.com`),
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      return fetch(`${functions.functionsUrl}/nebula/${path}`, { ...init, headers });
    },
    async stop() {
      await sql.end({ timeout: 5 });
      await functions.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface SuiteApiOptions extends Omit<ApiOptions, 'dbUrl'> {
  /**
   * Serve on a database of the suite's own (see freshDatabase()), prepared
   * by this before the function starts: for suites that change settings or
   * limits every other suite relies on.
   */
  readonly ownDatabase?: (sql: Sql) => Promise<unknown>;
}

/**
 * The usual opening of an API suite: the function served for one file or
 * describe block, started in beforeAll and stopped (its own database
 * dropped) in afterAll. The harness returned stands for the one started, so
 * a suite declares it once; it answers inside hooks and tests only.
 */
export function useApi(options: SuiteApiOptions = {}): ApiHarness {
  const { ownDatabase, ...apiOptions } = options;
  let harness: ApiHarness | undefined;
  let db: FreshDatabase | undefined;
  beforeAll(async () => {
    if (ownDatabase) {
      db = await freshDatabase();
      await ownDatabase(db.sql);
    }
    harness = await startApi({ ...apiOptions, dbUrl: db?.url });
  });
  afterAll(async () => {
    try {
      await harness?.stop();
    } finally {
      await db?.drop();
    }
  });
  const started = (): ApiHarness => {
    if (!harness) throw new Error('useApi(): the function starts in beforeAll; use it inside hooks and tests');
    return harness;
  };
  return {
    get functions() {
      return started().functions;
    },
    get stateDir() {
      return started().stateDir;
    },
    get sql() {
      return started().sql;
    },
    client: (token) => started().client(token),
    user: (name) => started().user(name),
    fetch: (path, init) => started().fetch(path, init),
    stop: () => started().stop(),
  };
}
