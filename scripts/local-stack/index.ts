// The one programmatic entry to the local stack, used by `npm run dev`, the
// tests' globalSetup and the benchmarks: start (or attach to) Postgres,
// bootstrap what Supabase would provide, apply our migrations with the
// Supabase CLI, and hand back the connection URL and a `stop()`.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { bootstrapDatabase, isSupabaseDatabase } from './bootstrap.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { freePort } from './free-port.ts';
import { applyMigrations, staleMigrationVersions } from './migrate.ts';
import { localDir } from './paths.ts';

export { writeStackInfo, readStackInfo, removeStackInfo, stackInfoPath } from './stack-info.ts';
export type { StackInfo } from './stack-info.ts';

export interface LocalStackOptions {
  /** Embedded cluster's data directory. Default `.local/postgres`. */
  dataDir?: string;
  /** Embedded cluster's port. Default 54322, Supabase's local db port. */
  port?: number;
  /** Use this Postgres instead of an embedded one. Default: env DATABASE_URL. */
  databaseUrl?: string;
  /** Create this database (dropping a leftover of the same name) and use it. */
  database?: string;
  /** Embedded only: false turns fsync off (disposable test clusters). Default true. */
  fsync?: boolean;
  /**
   * Embedded only: a throwaway cluster in a new temp directory on a free
   * port, fsync off, deleted by stop(). Ignores dataDir/port. It can collide
   * with nothing (a dev stack, a second test run), at the cost of an initdb
   * (about a second).
   */
  ephemeral?: boolean;
  /** Progress lines. Default: silent. */
  log?: (line: string) => void;
}

export interface LocalStack {
  /** postgres://… of the migrated database, as the superuser (or the URL's user). */
  dbUrl: string;
  /** true when Postgres is ours (embedded), false when attached via a URL. */
  embedded: boolean;
  /** Stops the embedded Postgres if this call started it; otherwise only forgets it. */
  stop(): Promise<void>;
}

export const DEFAULT_DEV_PORT = 54322;
export const defaultDataDir = path.join(localDir, 'postgres');

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const externalUrl = options.databaseUrl ?? process.env.DATABASE_URL;

  let serverUrl: string;
  let stopServer: () => Promise<void> = async () => {};
  if (externalUrl) {
    log(`postgres: using ${redact(externalUrl)}`);
    serverUrl = externalUrl;
  } else {
    const ephemeral = options.ephemeral ?? false;
    const cluster = await startEmbeddedPostgres({
      // Directly under the temp dir (world-traversable), not in a mkdtemp
      // directory: as root, the server runs as the postgres OS user.
      dataDir: ephemeral ? path.join(tmpdir(), `vidsync-pg-${process.pid}-${randomBytes(4).toString('hex')}`) : (options.dataDir ?? defaultDataDir),
      port: ephemeral ? await freePort() : (options.port ?? DEFAULT_DEV_PORT),
      fsync: ephemeral ? false : (options.fsync ?? true),
      persistent: !ephemeral,
      log,
    });
    serverUrl = cluster.adminUrl;
    stopServer = cluster.stop;
  }

  try {
    const dbUrl = options.database ? await createFreshDatabase(serverUrl, options.database, log) : serverUrl;
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      if (await isSupabaseDatabase(sql)) {
        log('bootstrap: a Supabase database, nothing to add');
      } else {
        await bootstrapDatabase(sql);
        log('bootstrap: roles, auth and extensions schemas in place');
      }
      const stale = externalUrl ? [] : await staleMigrationVersions(sql);
      if (stale.length > 0) {
        throw new Error(
          `the local database (${options.dataDir ?? defaultDataDir}) was migrated from migration files that have since been reshaped ` +
            `(applied, and since removed from supabase/migrations/ or rewritten: ${stale.join(', ')}). It holds only local data: ` +
            'start again on a fresh one with `npm run dev -- --reset`.',
        );
      }
    } finally {
      await sql.end();
    }
    await applyMigrations(dbUrl, log);
    log(`ready in ${Math.round(performance.now() - t0)} ms: ${redact(dbUrl)}`);
    return { dbUrl, embedded: !externalUrl, stop: stopServer };
  } catch (e) {
    await stopServer();
    throw e;
  }
}

/** The same server, another database: `withDatabase(url, 'x')`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function createFreshDatabase(serverUrl: string, database: string, log: (line: string) => void): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`database name must be a lower-case identifier: ${database}`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    // file_copy: template1 is tiny, and copying files beats WAL-logging it.
    await admin.unsafe(`create database ${database} strategy = file_copy`);
  } finally {
    await admin.end();
  }
  log(`postgres: created database ${database}`);
  return withDatabase(serverUrl, database);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
