// The SDK as an app would consume it: compiled to plain ESM with type
// declarations, loaded by plain Node (no TypeScript loader), registering a
// device against the function served by Deno.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { createProject } from '../api/helpers.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let api: ApiHarness;
let out: string;

beforeAll(async () => {
  api = await startApi();
  // Inside the repository, so the compiled files find node_modules as an installed package would.
  await mkdir(join(REPO, '.local'), { recursive: true });
  out = await mkdtemp(join(REPO, '.local', 'client-build-'));
});
afterAll(async () => {
  await api?.stop();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the compiled SDK', () => {
  it('builds to ESM with declarations and registers a device from plain Node', async () => {
    await run(join(REPO, 'node_modules/.bin/tsc'), ['-p', 'client/tsconfig.build.json', '--outDir', out], { cwd: REPO });
    const entry = join(out, 'client/src/index.js');
    expect(existsSync(join(out, 'client/src/index.d.ts'))).toBe(true);
    // Only what the SDK runs: no server validators (zod schemas), no function code.
    const compiled = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.js'));
    expect(compiled.filter((f) => f.includes('_shared/http/') || f.includes('functions/nebula/'))).toEqual([]);
    for (const file of compiled) expect(await readFile(join(out, file), 'utf8'), file).not.toMatch(/from ['"]zod['"]/);

    const user = await api.user('built-sdk');
    const project = await createProject(api.client(user.accessToken), 'built SDK');
    const script = `
      import { createClient } from '@supabase/supabase-js';
      import { NebulaClient } from ${JSON.stringify(entry)};
      const supabase = createClient(process.env.URL, process.env.ANON, { accessToken: async () => process.env.TOKEN });
      const reg = await new NebulaClient({ supabase, baseDir: process.env.BASE }).register({ projectId: process.env.PROJECT, deviceName: 'plain node' });
      console.log(JSON.stringify(reg));`;
    const base = join(out, 'devices');
    const { stdout } = await run(process.execPath, [...(Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : []), '--input-type=module', '-e', script], {
      cwd: REPO,
      env: { ...process.env, URL: api.functions.supabaseUrl, ANON: api.functions.anonKey, TOKEN: user.accessToken, BASE: base, PROJECT: project.projectId },
    });
    const reg = JSON.parse(stdout) as { cidr: string; dir: string };
    expect(reg.cidr.endsWith('/24')).toBe(true);
    expect(reg.dir).toBe(join(base, project.projectId));
  });

  it('the compiled Node entry exports everything the browser entry does (an app in Node reads its projects too)', async () => {
    const node = (await import(join(out, 'client/src/index.js'))) as Record<string, unknown>;
    const browser = (await import(join(out, 'client/src/browser.js'))) as Record<string, unknown>;
    expect(Object.keys(browser).length).toBeGreaterThan(10);
    expect(Object.keys(browser).filter((name) => !(name in node))).toEqual([]);
    expect(typeof node.listProjects).toBe('function');
    expect(typeof node.getProject).toBe('function');
  });
});
