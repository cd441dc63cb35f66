// Starts the local functions server (real Deno running the function's code)
// next to a running database, with what a hosted project would provide: a
// JWT issuer and its JWKS, an anon key, a service-role key, the CA master key
// secret, and demo users with access tokens.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { freePort } from '../local-stack/free-port.ts';
import { loadLocalIssuer } from './local-issuer.ts';
import type { LocalIssuer, MintOptions } from './local-issuer.ts';
import { loadDevSecrets } from './secrets.ts';
import { ensureUser } from './users.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const DENO = join(REPO, 'node_modules', '.bin', 'deno');

/** Supabase's local API port; the functions live below /functions/v1 on it. */
export const DEFAULT_FUNCTIONS_PORT = 54321;
const TOKEN_LIFETIME_SECONDS = 24 * 3600;
const START_TIMEOUT_MS = 30_000;

export interface LocalUser {
  readonly id: string;
  readonly email: string;
  readonly accessToken: string;
}

export interface LocalFunctions {
  readonly supabaseUrl: string;
  readonly functionsUrl: string;
  readonly anonKey: string;
  readonly serviceRoleKey: string;
  readonly users: { alice: LocalUser; bob: LocalUser };
  /** Creates the user if needed and returns a token valid 24 h. */
  userToken(email: string): Promise<LocalUser>;
  /** Mints a token with arbitrary claims, for tests of refusal paths. */
  mint(claims: MintOptions): Promise<string>;
  /** The Deno process, for CPU accounting in benchmarks. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface LocalFunctionsOptions {
  readonly dbUrl: string;
  /** 0 picks a free port (tests); npm run dev uses 54321. */
  readonly port?: number;
  /** Where the dev secrets live (issuer key, CA master key). */
  readonly stateDir: string;
  readonly env?: Record<string, string>;
  readonly log?: (line: string) => void;
}

export async function startLocalFunctions(options: LocalFunctionsOptions): Promise<LocalFunctions> {
  const log = options.log ?? (() => {});
  const port = options.port || (await freePort());
  const supabaseUrl = `http://127.0.0.1:${port}`;
  const secrets = await loadDevSecrets(options.stateDir);
  const issuer = await loadLocalIssuer(secrets.issuerPrivateJwk, `${supabaseUrl}/auth/v1`);

  log(`functions: starting Deno on ${supabaseUrl}`);
  const child = spawn(DENO, ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', join(HERE, 'serve.deno.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      SUPABASE_URL: supabaseUrl,
      SUPABASE_DB_URL: options.dbUrl,
      SUPABASE_JWKS: JSON.stringify(issuer.jwks),
      NEBULA_CA_MASTER_KEY: secrets.caMasterKey,
      LOCAL_FUNCTIONS_PORT: String(port),
      // Its log lines go to a pipe and our log, not a terminal.
      NO_COLOR: '1',
      ...options.env,
    },
    // stdin stays open for the server's life: its end tells the server we are gone.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await waitForListening(child, port, log);
  try {
    return await describeRunning(child, issuer, options.dbUrl, supabaseUrl);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

async function describeRunning(child: ChildProcess, issuer: LocalIssuer, dbUrl: string, supabaseUrl: string): Promise<LocalFunctions> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const userToken = async (email: string): Promise<LocalUser> => {
    const id = await ensureUser(sql, email);
    return { id, email, accessToken: await issuer.mint({ sub: id, email, expiresInSeconds: TOKEN_LIFETIME_SECONDS }) };
  };
  let users: LocalFunctions['users'];
  try {
    users = { alice: await userToken('alice@example.com'), bob: await userToken('bob@example.com') };
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }

  return {
    supabaseUrl,
    functionsUrl: `${supabaseUrl}/functions/v1`,
    anonKey: await issuer.mintAnonKey(),
    serviceRoleKey: await issuer.mintServiceRoleKey(),
    users,
    userToken,
    mint: (claims) => issuer.mint(claims),
    pid: child.pid!,
    async stop() {
      await sql.end({ timeout: 5 });
      await stopChild(child);
    },
  };
}

function waitForListening(child: ChildProcess, port: number, log: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const stderr: string[] = [];
    const timer = setTimeout(() => fail(new Error(`the functions server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (stderr.some((line) => line.includes('AddrInUse'))) {
        reject(new Error(`port ${port} is taken (another npm run dev of this checkout, or supabase start?): stop that; if another program needs the port, move this stack with VIDSYNC_PORT_BASE=<port>`));
        return;
      }
      reject(new Error(`${error.message}\n${stderr.join('\n')}`));
    };
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 50) stderr.shift();
      log(`functions: ${line}`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as { listening?: number };
        if (typeof message.listening === 'number') {
          clearTimeout(timer);
          resolve(message.listening);
          return;
        }
      } catch {
        // an ordinary log line
      }
      log(`functions: ${line}`);
    });
    child.once('exit', (code, signal) => fail(new Error(`the functions server exited (code ${code}, signal ${signal})`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
