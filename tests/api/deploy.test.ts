// The deploy's view of the function: `supabase functions deploy nebula`
// bundles supabase/functions with the import map config.toml names, with no
// node_modules anywhere. Reproduced here: the functions folder copied to an
// empty temporary directory, Deno (the npm package's binary) resolving every
// npm: import from the registry into an empty cache and type-checking
// nebula/index.ts with nebula/deno.json, then serving index.ts itself and
// answering. The root deno.json ("nodeModulesDir": "manual") made every npm:
// import fail there.
//
// And the function's start through index.ts: a missing or malformed secret
// is one log line and a coded 503 per request, not a worker that crashes at
// every start.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import type { LocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { ensureUser } from '../../scripts/local-functions/users.ts';
import { generateMasterKey } from '../../supabase/functions/_shared/secrets/index.ts';
import { newDeviceKey } from './helpers.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DENO = join(REPO, 'node_modules', '.bin', 'deno');

/** The machine's environment (proxies, CA bundles) without any function setting: each test names those it sets. */
const BASE_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(SUPABASE_|NEBULA_|DENO_)/.test(name)));

let work: string;
let functionsDir: string;
let denoDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vidsync-deploy-'));
  functionsDir = join(work, 'functions');
  denoDir = join(work, 'deno-cache');
  await cp(join(REPO, 'supabase', 'functions'), functionsDir, { recursive: true });
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('the function as deployed', () => {
  it('config.toml bundles nebula/index.ts with nebula/deno.json', async () => {
    const config = await readFile(join(REPO, 'supabase', 'config.toml'), 'utf8');
    const section = config.slice(config.indexOf('[functions.nebula]'));
    expect(section).toMatch(/^import_map = "\.\/functions\/nebula\/deno\.json"$/m);
    expect(section).toMatch(/^entrypoint = "\.\/functions\/nebula\/index\.ts"$/m);
  });

  it('nebula/deno.json pins every npm import, as the root deno.json and package.json do, and needs no node_modules', async () => {
    const own = JSON.parse(await readFile(join(REPO, 'supabase/functions/nebula/deno.json'), 'utf8')) as { imports: Record<string, string>; nodeModulesDir?: unknown };
    const root = JSON.parse(await readFile(join(REPO, 'deno.json'), 'utf8')) as { imports: Record<string, string> };
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(own.nodeModulesDir).toBeUndefined();
    expect(Object.keys(own.imports).length).toBeGreaterThan(0);
    for (const [name, specifier] of Object.entries(own.imports)) {
      expect(specifier).toMatch(/^npm:(@[a-z0-9-]+\/)?[a-z0-9.-]+@\d+\.\d+\.\d+$/);
      expect(specifier).toBe(root.imports[name]);
      expect(specifier).toBe(`npm:${name}@${pkg.dependencies[name]}`);
    }
  });

  it('resolves and type-checks nebula/index.ts from an empty folder, with no node_modules', async () => {
    await expect(stat(join(work, 'node_modules'))).rejects.toThrow();
    const check = spawnSync(DENO, ['check', '--config', 'nebula/deno.json', 'nebula/index.ts'], {
      cwd: functionsDir,
      env: { ...BASE_ENV, DENO_DIR: denoDir, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(check.stderr).not.toMatch(/Could not find a matching package/);
    expect(check.status, check.stderr).toBe(0);
    await expect(stat(join(functionsDir, 'node_modules'))).rejects.toThrow();
  });

  describe('served by index.ts', () => {
    let issuer: LocalIssuer;
    const supabaseUrl = 'http://127.0.0.1:9'; // nothing listens: the inline JWKS is enough
    beforeAll(async () => {
      issuer = await createLocalIssuer({ issuer: `${supabaseUrl}/auth/v1` });
    });

    it('boots with its secrets and serves a real request (project created, CA sealed)', async () => {
      const served = await serveIndex({
        SUPABASE_URL: supabaseUrl,
        SUPABASE_DB_URL: inject('dbUrl'),
        SUPABASE_JWKS: JSON.stringify(issuer.jwks),
        NEBULA_CA_MASTER_KEY: generateMasterKey(),
      });
      try {
        const anonymous = await fetch(`${served.url}nebula/projects`, { method: 'POST', body: '{}' });
        expect(anonymous.status).toBe(401);
        expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');

        const sql = postgres(inject('dbUrl'), { max: 1, onnotice: () => {} });
        const userId = await ensureUser(sql, `deploy-${crypto.randomUUID().slice(0, 8)}@example.com`).finally(() => sql.end());
        const created = await fetch(`${served.url}nebula/projects`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await issuer.mint({ sub: userId })}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'deployed' }),
        });
        expect(created.status, await created.clone().text()).toBe(201);
        const project = (await created.json()) as { ownerId: string; projectId: string; name: string };
        expect(project.ownerId).toBe(userId);

        // The bundle serves the routes added on 2026-11-30 too: CA rotation, audit filters, project deletion.
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(`${served.url}nebula/${path}`, {
            method,
            headers: { authorization: `Bearer ${await issuer.mint({ sub: userId })}`, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        };
        const rotated = await call('POST', `ca/${project.projectId}/rotate`, {});
        expect(rotated.status, JSON.stringify(rotated.json)).toBe(201);
        const audit = await call('GET', `audit/${project.projectId}?action=ca.rotate`);
        expect(audit.status, JSON.stringify(audit.json)).toBe(200);
        expect((audit.json.entries as { action: string }[]).map((e) => e.action)).toEqual(['ca.rotate']);
        // And the routes whose transactions end with their writes (endWith): renew's certificate and its audit row,
        // the device- and project-scoped reads (routes/scope.ts), a heartbeat's folders (_shared/api-types.ts).
        const deviceId = crypto.randomUUID();
        const key = await newDeviceKey();
        const registered = await call('POST', 'register', { projectId: project.projectId, deviceId, deviceName: 'deployed', publicKey: key.publicKeyPem });
        expect(registered.status, JSON.stringify(registered.json)).toBe(200);
        const beat = await call('POST', `heartbeat/${deviceId}`, { folders: [{ folderId: 'videos', state: 'idle', completion: 100, errors: 0 }] });
        expect(beat.status, JSON.stringify(beat.json)).toBe(200);
        const renewed = await call('POST', `renew/${deviceId}`);
        expect(renewed.status, JSON.stringify(renewed.json)).toBe(200);
        for (const path of [`status/${deviceId}`, `projects/${project.projectId}/members`, `projects/${project.projectId}/invites`]) {
          const read = await call('GET', path);
          expect(read.status, `${path} ${JSON.stringify(read.json)}`).toBe(200);
        }
        const renewals = await call('GET', `audit/${project.projectId}?action=device.renew`);
        expect((renewals.json.entries as { deviceId: string; result: string }[]).map((e) => [e.deviceId, e.result])).toEqual([[deviceId, 'ok']]);
        const deleted = await call('DELETE', `projects/${project.projectId}`, { confirm: 'deployed' });
        expect(deleted.status, JSON.stringify(deleted.json)).toBe(200);
        expect((await call('GET', `projects/${project.projectId}`)).status).toBe(404);
        expect(served.log().filter((l) => l.startsWith('nebula: ready'))).toHaveLength(1);
      } finally {
        await served.stop();
      }
    });

    it.each([
      ['missing', { NEBULA_CA_MASTER_KEY: undefined }, /NEBULA_CA_MASTER_KEYS \(or NEBULA_CA_MASTER_KEY\) is not set/],
      ['malformed', { NEBULA_CA_MASTER_KEY: 'c2hvcnQ=' }, /master_key_invalid: Master key #1 must be base64 of exactly 32 bytes/],
      ['malformed JWKS', { SUPABASE_JWKS: '{"keys": 1}' }, /SUPABASE_JWKS is not a JSON Web Key Set/],
    ])('a %s secret: one log line, then 503 not_configured for every request', async (_what, change, logged) => {
      const env: Record<string, string | undefined> = {
        SUPABASE_URL: supabaseUrl,
        SUPABASE_DB_URL: inject('dbUrl'),
        SUPABASE_JWKS: JSON.stringify(issuer.jwks),
        NEBULA_CA_MASTER_KEY: generateMasterKey(),
        ...change,
      };
      const served = await serveIndex(env);
      try {
        for (const path of ['nebula/projects', 'nebula/status/00000000-0000-4000-8000-000000000000', 'elsewhere']) {
          const res = await fetch(`${served.url}${path}`, { method: path.endsWith('projects') ? 'POST' : 'GET' });
          expect(res.status).toBe(503);
          expect(await res.json()).toEqual({ error: { code: 'not_configured', message: expect.any(String) } });
        }
        const complaints = served.log().filter((l) => l.includes('not configured'));
        expect(complaints).toHaveLength(1);
        expect(complaints[0]).toMatch(logged);
        expect(served.alive()).toBe(true);
        // The secret's value never reaches the log.
        const secret = (change as Record<string, string | undefined>).NEBULA_CA_MASTER_KEY;
        if (secret) expect(served.log().join('\n')).not.toContain(secret);
      } finally {
        await served.stop();
      }
    });
  });
});

interface Served {
  url: string;
  log(): string[];
  alive(): boolean;
  stop(): Promise<void>;
}

/** `deno run nebula/index.ts` in the copied folder, on a free loopback port (DENO_SERVE_ADDRESS). */
async function serveIndex(env: Record<string, string | undefined>): Promise<Served> {
  const child: ChildProcess = spawn(DENO, ['run', '--config', 'nebula/deno.json', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'nebula/index.ts'], {
    cwd: functionsDir,
    env: { ...BASE_ENV, DENO_DIR: denoDir, NO_COLOR: '1', DENO_SERVE_ADDRESS: 'tcp:127.0.0.1:0', ...definedOnly(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`index.ts did not start:\n${lines.join('\n')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        const m = /Listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`index.ts exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  return {
    url,
    log: () => [...lines],
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
