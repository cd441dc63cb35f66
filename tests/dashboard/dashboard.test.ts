// The dashboard in real Chromium against the real function (Deno) and
// Postgres: built for production, served on loopback with a local config
// that offers demo users, as `npm run dev` serves it. A user signs in as a
// demo user, sees their project with its pool and its devices, sorts and
// filters them by keyboard, sees a newly registered device appear without a
// reload (the rows already there are the same DOM nodes: nothing re-drawn),
// and sees an API error's code and message in place. Screenshots at 1280 and
// 390 px go to .local/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { buildDashboard, JS_BUDGET_GZIP_BYTES } from '../../scripts/dashboard/build.ts';
import type { DashboardBuild } from '../../scripts/dashboard/build.ts';
import { serveDashboard } from '../../scripts/dashboard/serve.ts';
import type { DashboardServer } from '../../scripts/dashboard/serve.ts';
import { syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { createProject, newDeviceKey } from '../api/helpers.ts';
import type { CreatedProject } from '../api/helpers.ts';
import { launchChromium, loopbackContext, screenshot } from './support.ts';
import type { LoopbackContext } from './support.ts';

describe.skipIf(missing(binary('chromium')))('the dashboard in Chromium', () => {
  let api: ApiHarness;
  let outDir: string;
  let built: DashboardBuild;
  let server: DashboardServer;
  let browser: Browser;
  let loopback: LoopbackContext;
  let page: Page;
  let aliceToken: string;
  let project: CreatedProject;
  const devices: Record<string, { deviceId: string; ip: string }> = {};
  const syncthingId = syncthingDeviceIdFromSha256(new Uint8Array(32).fill(7));

  async function register(name: string, extra: Record<string, unknown> = {}): Promise<{ deviceId: string; ip: string }> {
    const deviceId = crypto.randomUUID();
    const key = await newDeviceKey();
    const res = await api.fetch('register', {
      method: 'POST',
      token: aliceToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: project.projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem, ...extra }),
    });
    const body = (await res.json()) as { ip: string };
    expect(res.status).toBe(200);
    return { deviceId, ip: body.ip };
  }

  beforeAll(async () => {
    api = await startApi();
    outDir = await mkdtemp(join(tmpdir(), 'vidsync-dashboard-'));
    built = await buildDashboard(outDir);
    const [alice, bob] = await Promise.all([api.user('alice'), api.user('bob')]);
    aliceToken = alice!.accessToken;
    project = await createProject(api.client(aliceToken), 'Holiday videos');
    devices.lighthouse = await register('Lighthouse Frankfurt', { lighthouse: { endpoints: ['198.18.0.9:4242'] } });
    devices.studio = await register('Studio iMac', { syncthingDeviceId: syncthingId });
    devices.laptop = await register('Travel laptop');
    devices.old = await register('Old NAS');
    const beat = await api.fetch(`heartbeat/${devices.studio.deviceId}`, {
      method: 'POST',
      token: aliceToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentVersion: '0.3.1', nebulaVersion: '1.9.5' }),
    });
    expect(beat.status).toBe(200);
    const released = await api.fetch(`release/${devices.old.deviceId}`, { method: 'POST', token: aliceToken });
    expect(released.status).toBe(200);
    server = await serveDashboard({
      dir: outDir,
      config: {
        supabaseUrl: api.functions.supabaseUrl,
        anonKey: api.functions.anonKey,
        demoUsers: [
          { name: 'alice', email: 'alice@example.com', accessToken: aliceToken },
          { name: 'bob', email: 'bob@example.com', accessToken: bob!.accessToken },
        ],
      },
    });
    browser = await launchChromium();
    loopback = await loopbackContext(browser);
    page = await loopback.newPage(1280);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await api?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('builds within the JS budget', () => {
    expect(built.jsGzipBytes).toBeGreaterThan(1000);
    expect(built.jsGzipBytes).toBeLessThanOrEqual(JS_BUDGET_GZIP_BYTES);
  });

  it('offers the local demo users, clearly marked, and signs in as alice', async () => {
    await page.goto(server.url);
    const demo = page.getByRole('region', { name: /local stack only/i });
    await expect.poll(() => demo.isVisible()).toBe(true);
    await screenshot(page, 'dashboard-sign-in-1280');
    await demo.getByRole('button', { name: 'Sign in as alice' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your projects' }).waitFor();
    expect(await page.locator('#who').textContent()).toContain('alice@example.com (demo)');
  });

  it('lists the project with role, subnet, live devices, CA expiry and pool usage', async () => {
    const card = page.locator(`[data-project="${project.projectId}"]`);
    await card.waitFor();
    const text = (await card.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Holiday videos');
    expect(text).toContain('owner');
    expect(text).toContain(project.subnet);
    expect(text).toMatch(/Devices 3 /);
    expect(text).toMatch(/CA expires \d+ (y|mo|d) left/);
    const size = 2 ** (32 - Number(project.subnet.split('/')[1])) - 2;
    expect(text).toContain(`3 used · 1 cooling · ${size - 4} free of ${size}`);
    await screenshot(page, 'dashboard-projects-1280');
  });

  it('shows the project’s devices: IP, online state, certificate time left, lighthouse badge, Syncthing ID', async () => {
    await page.getByRole('link', { name: 'Holiday videos' }).click();
    await page.getByRole('heading', { level: 1, name: 'Holiday videos' }).waitFor();
    const rowOf = (name: string) => page.locator('tbody tr', { has: page.getByRole('rowheader', { name: new RegExp(name) }) });
    await rowOf('Studio iMac').waitFor();
    const studio = (await rowOf('Studio iMac').innerText()).replace(/\s+/g, ' ');
    expect(studio).toContain(devices.studio!.ip);
    expect(studio).toMatch(/online · seen \d+ s ago/);
    expect(studio).toMatch(/\d+ (mo|d) left/);
    expect(studio).toContain(`${syncthingId.slice(0, 7)}…`);
    expect(studio).toContain('0.3.1 · 1.9.5');
    expect(await rowOf('Lighthouse Frankfurt').getByText('lighthouse', { exact: true }).isVisible()).toBe(true);
    expect(await rowOf('Studio iMac').getByText('lighthouse', { exact: true }).isVisible()).toBe(false);
    const old = (await rowOf('Old NAS').innerText()).replace(/\s+/g, ' ');
    expect(old).toContain('released');
    expect(old).not.toContain(devices.old!.ip);
    expect(await page.locator('.devices-section').getByText('4 devices').isVisible()).toBe(true);
    await screenshot(page, 'dashboard-project-1280');
  });

  it('sorts and filters with the keyboard alone, with labelled controls and a visible focus ring', async () => {
    const names = () => page.locator('tbody tr th .device-name').allInnerTexts();
    // Default: by address (the released device, without one, last).
    expect((await names()).at(-1)).toBe('Old NAS');
    const sortByName = page.getByRole('button', { name: /^Name/ });
    // Tab from the filter: the "Show" select, then the first column's sort button.
    await page.getByLabel('Filter').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await sortByName.evaluate((el) => el === document.activeElement)).toBe(true);
    const outline = await sortByName.evaluate((el) => getComputedStyle(el).outlineStyle);
    await page.keyboard.press('Enter');
    expect(await names()).toEqual(['Lighthouse Frankfurt', 'Old NAS', 'Studio iMac', 'Travel laptop']);
    expect(await page.locator('th[aria-sort="ascending"]').innerText()).toContain('Name');
    await page.keyboard.press('Enter');
    expect(await names()).toEqual(['Travel laptop', 'Studio iMac', 'Old NAS', 'Lighthouse Frankfurt']);
    expect(outline).not.toBe('none');

    await page.getByLabel('Filter').fill('studio');
    expect(await names()).toEqual(['Studio iMac']);
    expect(await page.getByText('1 of 4 devices').isVisible()).toBe(true);
    await page.getByLabel('Filter').fill('');
    await page.getByLabel('Show').selectOption('lighthouses');
    expect(await names()).toEqual(['Lighthouse Frankfurt']);
    await page.getByLabel('Show').selectOption('all');
    await sortByName.press('Enter'); // back to ascending for the screenshots
  });

  it('shows a newly registered device within 10 s, without re-drawing the rows already there', async () => {
    const before = await page.locator(`tr[data-device="${devices.studio!.deviceId}"]`).evaluate((tr) => {
      (tr as HTMLElement & { marked?: boolean }).marked = true;
      return true;
    });
    expect(before).toBe(true);
    // While nothing changes, the polls are conditional and answered without a body.
    await expect.poll(() => loopback.apiAnswers, { timeout: 12_000 }).toContain(`304 GET projects/${project.projectId}`);
    const t0 = Date.now();
    const added = await register('Editing PC');
    await page.locator(`tr[data-device="${added.deviceId}"]`).waitFor({ timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await page.locator(`tr[data-device="${added.deviceId}"]`).innerText())).toContain(added.ip);
    const same = await page.locator(`tr[data-device="${devices.studio!.deviceId}"]`).evaluate((tr) => (tr as HTMLElement & { marked?: boolean }).marked === true);
    expect(same).toBe(true);
    // The picture a person sees on arrival: no control focused.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, 'dashboard-project-1280');
  });

  it('reads at 390 px: one column of device cards, every value labelled, nothing wider than the screen', async () => {
    const narrow = await loopback.newPage(390, 844);
    await narrow.goto(`${server.url}#/projects/${project.projectId}`);
    await narrow.getByRole('heading', { level: 1, name: 'Holiday videos' }).waitFor();
    await narrow.locator('tbody tr').first().waitFor();
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const label = await narrow.locator('tbody td[data-label="Overlay IP"]').first().evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"Overlay IP"');
    await screenshot(narrow, 'dashboard-project-390');
    await narrow.goto(`${server.url}#/`);
    await narrow.locator(`[data-project="${project.projectId}"]`).waitFor();
    await screenshot(narrow, 'dashboard-projects-390');
    await narrow.close();
  });

  it('shows an API error’s code and message in place', async () => {
    await page.goto(`${server.url}#/projects/${crypto.randomUUID()}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).toContain('Loading this project failed');
    expect(text).toContain('not_found');
    expect(text).toMatch(/no project [0-9a-f-]{36}/);
    expect(text).toMatch(/HTTP 404 · request [0-9a-f-]{36}/);
    await screenshot(page, 'dashboard-error-1280');

    await page.goto(`${server.url}#/projects/not-a-project`);
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('validation_failed');
    // Navigation still works from the error.
    await page.getByRole('link', { name: '← Your projects' }).click();
    await page.locator(`[data-project="${project.projectId}"]`).waitFor();
  });

  it('names every control: each input and select has a label, each button and link an accessible name', async () => {
    const unnamed = async (p: Page) =>
      p.evaluate(() => {
        const missing: string[] = [];
        for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
          if (el.closest('[hidden]')) continue;
          if (el.labels === null || el.labels.length === 0) missing.push(`${el.tagName.toLowerCase()}#${el.id}`);
        }
        for (const el of document.querySelectorAll<HTMLElement>('button, a[href]')) {
          if (el.closest('[hidden]') || el.hidden) continue;
          if ((el.textContent ?? '').trim() === '' && !el.getAttribute('aria-label')) missing.push(el.outerHTML.slice(0, 80));
        }
        return missing;
      });
    await page.goto(`${server.url}#/projects/${project.projectId}`);
    await page.locator('tbody tr').first().waitFor();
    expect(await unnamed(page)).toEqual([]);
    const fresh = await loopback.context.browser()!.newContext();
    const signIn = await fresh.newPage();
    await fresh.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    await signIn.goto(server.url);
    await signIn.getByRole('button', { name: 'Sign in as bob' }).waitFor();
    expect(await unnamed(signIn)).toEqual([]);
    expect(await signIn.getByLabel('Email', { exact: true }).isVisible()).toBe(true);
    expect(await signIn.getByLabel('Password', { exact: true }).isVisible()).toBe(true);
    await fresh.close();
  });

  it('with a hosted config (no demo users) offers Supabase Auth alone, and shows its failure in place', async () => {
    const hosted = await serveDashboard({ dir: outDir, config: { supabaseUrl: api.functions.supabaseUrl, anonKey: api.functions.anonKey } });
    const context = await loopback.context.browser()!.newContext();
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    try {
      const p = await context.newPage();
      await p.goto(hosted.url);
      await p.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await p.getByText(/demo user/i).count()).toBe(0);
      // The local stack has no Supabase Auth server: the attempt fails, and says so where the form is.
      await p.getByLabel('Email', { exact: true }).fill('alice@example.com');
      await p.getByLabel('Password', { exact: true }).fill('not-a-password');
      await p.getByLabel('Password', { exact: true }).press('Enter');
      await expect.poll(() => p.getByRole('alert').innerText().catch(() => '')).toContain('Signing in failed');
      expect(await p.getByRole('alert').innerText()).toContain(`could not reach Supabase Auth at ${api.functions.supabaseUrl}/auth/v1`);
      await screenshot(p, 'dashboard-hosted-sign-in-error-1280');
    } finally {
      await context.close();
      await hosted.stop();
    }
  });

  it('never let the browser leave loopback', () => {
    expect(loopback.blocked).toEqual([]);
  });
});
