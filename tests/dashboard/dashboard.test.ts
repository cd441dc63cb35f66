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
import { NebulaClient } from '../../client/src/index.ts';
import { axeViolations, launchChromium, loopbackContext, screenshot } from './support.ts';
import type { LoopbackContext } from './support.ts';

/** How long a poll for something the page should show may take: generous, because six suites may share two cores. */
const SOON = { timeout: 5_000 };

describe.skipIf(missing(binary('chromium')))('the dashboard in Chromium', () => {
  let api: ApiHarness;
  let outDir: string;
  let built: DashboardBuild;
  let server: DashboardServer;
  let browser: Browser;
  let loopback: LoopbackContext;
  let page: Page;
  /** Uncaught exceptions in alice's page: none may happen. */
  const pageErrors: string[] = [];
  let aliceToken: string;
  let bobToken: string;
  let project: CreatedProject;
  const devices: Record<string, { deviceId: string; ip: string }> = {};
  const syncthingId = syncthingDeviceIdFromSha256(new Uint8Array(32).fill(7));

  async function register(name: string, extra: Record<string, unknown> = {}, projectId = project.projectId): Promise<{ deviceId: string; ip: string }> {
    const deviceId = crypto.randomUUID();
    const key = await newDeviceKey();
    const res = await api.fetch('register', {
      method: 'POST',
      token: aliceToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem, ...extra }),
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
    bobToken = bob!.accessToken;
    project = await createProject(api.client(aliceToken), 'Holiday videos');
    devices.lighthouse = await register('Lighthouse Frankfurt', { lighthouse: { endpoints: ['198.18.0.9:4242'] } });
    devices.studio = await register('Studio iMac', { syncthingDeviceId: syncthingId });
    devices.laptop = await register('Travel laptop');
    devices.old = await register('Old NAS');
    const beat = await api.fetch(`heartbeat/${devices.studio.deviceId}`, {
      method: 'POST',
      token: aliceToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        agentVersion: '0.3.1',
        nebulaVersion: '1.9.5',
        folders: [
          { folderId: 'holiday', label: 'Holiday', state: 'idle', completion: 100, errors: 0 },
          { folderId: 'raw', label: 'Raw footage', state: 'syncing', completion: 45.5, errors: 0 },
          { folderId: 'edits', label: 'Edits', state: 'idle', completion: 80, errors: 3 },
        ],
      }),
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
    page.on('pageerror', (e) => pageErrors.push(e.message));
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
    await expect.poll(() => demo.isVisible(), SOON).toBe(true);
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
    // Folder sync state in words, with a sign besides the colour.
    expect(studio).toContain('Holiday: in sync');
    expect(studio).toContain('Raw footage: syncing 45 %');
    expect(studio).toContain('Edits: error (3)');
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
    expect(text).toMatch(/project [0-9a-f-]{36}/); // the message names it (its wording is the server's)
    expect(text).toMatch(/HTTP 404 · request [0-9a-f-]{36}/);
    await screenshot(page, 'dashboard-error-1280');

    await page.goto(`${server.url}#/projects/not-a-project`);
    await expect.poll(() => page.getByRole('alert').innerText(), SOON).toContain('validation_failed');
    // Even a fault of the page's own (an exception nothing caught) shows in place instead of a blank page.
    await page.evaluate(() => void Promise.reject(new Error('forced fault of the page')));
    await expect.poll(() => page.locator('main > .error').first().innerText().catch(() => ''), SOON).toContain('forced fault of the page');
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
      await expect.poll(() => p.getByRole('alert').innerText().catch(() => ''), SOON).toContain('Signing in failed');
      expect(await p.getByRole('alert').innerText()).toContain(`could not reach Supabase Auth at ${api.functions.supabaseUrl}/auth/v1`);
      await screenshot(p, 'dashboard-hosted-sign-in-error-1280');
    } finally {
      await context.close();
      await hosted.stop();
    }
  });

  describe('the owner’s day: create, invite, a member joins, a device arrives, is revoked, and the log tells it', () => {
    let filmId: string;
    let code: string;
    let bobSide: LoopbackContext;
    let bobPage: Page;
    let registered: { deviceId: string; ip: string };
    let spare: { deviceId: string; ip: string };
    const film = 'Film night';

    it('alice creates a project in the page and opens it', async () => {
      await page.goto(`${server.url}#/`);
      await page.getByRole('heading', { level: 1, name: 'Your projects' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(film);
      await page.getByRole('button', { name: 'Create project' }).click();
      const link = page.getByRole('status').getByRole('link', { name: film });
      await link.waitFor();
      filmId = /#\/projects\/([0-9a-f-]{36})$/.exec((await link.getAttribute('href'))!)![1]!;
      await page.locator(`[data-project="${filmId}"]`).waitFor(); // the list was polled at once
      await link.click();
      await page.getByRole('heading', { level: 1, name: film }).waitFor();
      expect(await page.getByText('No device has joined yet.').isVisible()).toBe(true);
    });

    it('alice creates an invite: its code is shown once, with a copy button', async () => {
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByRole('heading', { name: 'Invites' }).waitFor();
      await page.getByLabel('Role', { exact: true }).selectOption('member');
      await page.getByLabel('Uses').fill('2');
      await page.getByRole('button', { name: 'Create invite' }).click();
      const shown = page.locator('.code-once');
      await shown.waitFor();
      code = (await shown.locator('.code').innerText()).trim();
      expect(code).toMatch(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$/);
      expect(await page.getByRole('button', { name: 'Copy code' }).evaluate((el) => el === document.activeElement)).toBe(true);
      await page.locator('tr[data-invite]').first().waitFor();
      expect((await page.locator('tr[data-invite]').first().innerText()).replace(/\s+/g, ' ')).toMatch(/member 0 of 2 active/);
      await screenshot(page, 'dashboard-people-invite-1280');
      // Once: after a reload the list has the invite but the page has no code to show.
      await page.reload();
      await page.locator('tr[data-invite]').first().waitFor();
      expect(await page.locator('.code-once').count()).toBe(0);
      expect(await page.content()).not.toContain(code);
    });

    it('bob joins with the code in a second browser context', async () => {
      bobSide = await loopbackContext(browser);
      bobPage = await bobSide.newPage(1280);
      await bobPage.goto(server.url);
      await bobPage.getByRole('button', { name: 'Sign in as bob' }).click();
      await bobPage.getByRole('heading', { level: 1, name: 'Your projects' }).waitFor();
      await bobPage.getByLabel('Invite code').fill(code.toLowerCase());
      await bobPage.getByRole('button', { name: 'Join', exact: true }).click();
      await expect.poll(() => bobPage.getByRole('status').innerText().catch(() => ''), SOON).toContain('Joined as member');
      await bobPage.locator(`[data-project="${filmId}"]`).waitFor();
      // The same code again: a member already, nothing counted.
      await bobPage.getByLabel('Invite code').fill(code);
      await bobPage.getByRole('button', { name: 'Join', exact: true }).click();
      await expect.poll(() => bobPage.getByRole('status').innerText().catch(() => ''), SOON).toContain('already a member');
      await screenshot(bobPage, 'dashboard-bob-joined-1280');
      // Alice's people view, left open, lists bob at its next poll, and the invite counts his use.
      await expect.poll(() => page.locator('tr[data-member]').count(), SOON).toBe(2);
      await expect.poll(async () => (await page.locator('tr[data-invite]').first().innerText()).replace(/\s+/g, ' '), SOON).toMatch(/member 1 of 2 active/);
    });

    it('a device bob registers through the SDK appears on alice’s page within 10 s, with its IP', async () => {
      await page.getByRole('link', { name: 'Devices' }).click();
      await page.getByText('No device has joined yet.').waitFor();
      const dir = await mkdtemp(join(tmpdir(), 'vidsync-dashboard-device-'));
      try {
        const t0 = Date.now();
        const reg = await new NebulaClient({ supabase: api.client(bobToken), baseDir: dir }).register({ projectId: filmId, deviceName: 'Bob’s laptop' });
        registered = { deviceId: reg.deviceId, ip: reg.ip };
        spare = await register('Spare NUC', {}, filmId); // alice's, for the error below
        const row = page.locator(`tr[data-device="${reg.deviceId}"]`);
        await row.waitFor({ timeout: 10_000 });
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(await row.innerText()).toContain(reg.ip);
        // Bob, a plain member, may manage his own device (release, revoke) and no one else's; no audit or settings tab.
        await bobPage.goto(`${server.url}#/projects/${filmId}`);
        await bobPage.locator(`tr[data-device="${spare.deviceId}"]`).waitFor();
        expect(await bobPage.getByRole('button', { name: 'Manage Spare NUC' }).count()).toBe(0);
        await bobPage.getByRole('button', { name: 'Manage Bob’s laptop' }).click();
        const choices = await bobPage.getByRole('dialog').getByRole('listitem').getByRole('button').allInnerTexts();
        expect(choices).toEqual(['Release…', 'Revoke…']);
        await bobPage.keyboard.press('Escape');
        expect(await bobPage.getByRole('link', { name: 'Audit log' }).isVisible()).toBe(false);
        expect(await bobPage.getByRole('link', { name: 'Settings' }).isVisible()).toBe(false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('alice revokes it behind a confirmation that names the consequence, and sees its state change', async () => {
      const row = page.locator(`tr[data-device="${registered.deviceId}"]`);
      await row.getByRole('button', { name: 'Manage Bob’s laptop' }).click();
      await page.getByRole('dialog', { name: 'Manage Bob’s laptop' }).getByRole('button', { name: 'Revoke…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Revoke Bob’s laptop?' });
      await dialog.waitFor();
      const says = await dialog.innerText();
      expect(says).toContain('blocklist');
      expect(says).toContain(registered.ip);
      expect(says).toContain('never renew');
      await screenshot(page, 'dashboard-revoke-confirm-1280');
      await dialog.getByLabel(/Reason/).fill('lost on a train');
      await dialog.getByRole('button', { name: 'Revoke Bob’s laptop' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 3_000 }).toBe('revoked');
      expect((await row.innerText()).replace(/\s+/g, ' ')).toContain('revoked');
      // Focus went back to the row's Manage button, and when that went away with the revocation, to the device's name.
      expect(await row.getByRole('rowheader').evaluate((th) => th === document.activeElement)).toBe(true);
    });

    it('a forced API error shows its code in place: pinning an address outside the subnet, by keyboard alone', async () => {
      await page.locator(`tr[data-device="${spare.deviceId}"]`).waitFor();
      const manage = page.getByRole('button', { name: 'Manage Spare NUC' });
      await manage.focus();
      await page.keyboard.press('Enter');
      // The menu opens with its first choice focused; Enter picks it; the address field has focus; Enter submits.
      await page.getByRole('dialog', { name: 'Manage Spare NUC' }).waitFor();
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Pin an address…');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Pin Spare NUC to another address?' });
      await dialog.waitFor();
      await page.keyboard.type('192.168.77.5');
      await page.keyboard.press('Enter');
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      const text = await alert.innerText();
      expect(text).toContain('address_out_of_pool');
      expect(text).toMatch(/HTTP 400 · request [0-9a-f-]{36}/);
      await screenshot(page, 'dashboard-pin-error-1280');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      expect(await manage.evaluate((el) => el === document.activeElement)).toBe(true); // focus is back where it was
    });

    it('the audit log shows it all, newest first, and filters by action and by device', async () => {
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.locator('table.audit tbody tr').first().waitFor();
      const actions = async () => page.locator('table.audit tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-action')} ${tr.getAttribute('data-result')}`));
      const all = await actions();
      // (A 400 is not logged: the log records actions and refusals of authority, not malformed input.)
      for (const a of ['project.create ok', 'invite.create ok', 'member.join ok', 'device.register ok', 'device.revoke ok']) expect(all).toContain(a);
      expect(all.at(-1)).toBe('project.create ok');
      expect(all.indexOf('device.revoke ok')).toBeLessThan(all.indexOf('member.join ok'));
      const revokeRow = page.locator('table.audit tbody tr[data-action="device.revoke"]');
      expect((await revokeRow.innerText()).replace(/\s+/g, ' ')).toMatch(/you .*Bob’s laptop/);
      await screenshot(page, 'dashboard-audit-1280');

      await page.getByLabel('Device', { exact: true }).selectOption({ label: 'Bob’s laptop (revoked)' });
      await expect.poll(actions, SOON).toEqual(['device.revoke ok', 'device.register ok']);
      await page.getByLabel('Device', { exact: true }).selectOption('');
      await page.getByLabel('Action', { exact: true }).selectOption('member.join');
      await expect.poll(actions, SOON).toEqual(['member.join ok', 'member.join ok']);
    });

    it('alice makes bob an admin, and removing him would first say what happens to his devices', async () => {
      await page.goto(`${server.url}#/projects/${filmId}/people`);
      const bobRow = page.locator('tr[data-member]').filter({ hasNot: page.getByText('you', { exact: true }) });
      const role = bobRow.getByRole('combobox', { name: /^Role of user / });
      await role.selectOption('admin');
      await expect.poll(async () => (await bobRow.getByRole('combobox').inputValue()), SOON).toBe('admin');
      await bobPage.reload();
      await bobPage.getByRole('link', { name: 'Audit log' }).waitFor(); // an admin's tabs now
      await bobRow.getByRole('button', { name: /^Remove user / }).click();
      const dialog = page.getByRole('dialog', { name: /^Remove user / });
      expect(await dialog.innerText()).toMatch(/no device in this project|devices? (is|are) revoked/);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await page.locator('tr[data-member]').count()).toBe(2);
    });

    it('the network’s picture: devices and lighthouses in an SVG, online in colour and in words', async () => {
      await page.goto(`${server.url}#/projects/${project.projectId}/network`);
      const svg = page.locator('svg.graph');
      await svg.waitFor();
      expect(await svg.locator('g[data-device]').count()).toBe(4); // live devices only
      expect(await svg.locator('rect.node-lighthouse').count()).toBe(1);
      expect(await svg.getAttribute('aria-label')).toMatch(/1 lighthouse, 3 other devices, \d of 4 online/);
      const legend = await page.getByRole('list', { name: 'Legend' }).innerText();
      expect(legend).toMatch(/online/);
      expect(legend).toMatch(/offline/);
      expect(await page.locator('.graph-list').innerText()).toContain(`Lighthouse Frankfurt — ${devices.lighthouse!.ip}`);
      expect(await page.getByText(/not reported by the agents yet/).isVisible()).toBe(true);
      await screenshot(page, 'dashboard-network-1280');
    });

    it('reads at 390 px: people, audit, settings and network (drawn in a tall frame)', async () => {
      const narrow = await loopback.newPage(390, 844);
      for (const [tab, id] of [['people', filmId], ['audit', filmId], ['settings', filmId], ['network', project.projectId]] as const) {
        await narrow.goto(`${server.url}#/projects/${id}/${tab}`);
        await narrow.locator('.tab-panel:not([hidden])').waitFor();
        await narrow.waitForTimeout(300);
        const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect({ tab, overflow }).toEqual({ tab, overflow: 0 });
        await screenshot(narrow, `dashboard-${tab}-390`);
      }
      expect(await narrow.locator('svg.graph').getAttribute('viewBox')).toBe('0 0 400 600');
      await narrow.close();
    });

    it('passes axe-core’s WCAG A/AA rules on the main views, a dialog open too', async () => {
      const views = ['#/', `#/projects/${project.projectId}`, `#/projects/${project.projectId}/network`, `#/projects/${filmId}/people`, `#/projects/${filmId}/audit`, `#/projects/${filmId}/settings`];
      for (const view of views) {
        await page.goto(`${server.url}${view}`);
        await page.locator(view === '#/' ? '[data-project]' : '.tab-panel:not([hidden])').first().waitFor();
        await page.waitForLoadState('networkidle');
        expect({ view, violations: await axeViolations(page) }).toEqual({ view, violations: [] });
      }
      await page.goto(`${server.url}#/projects/${project.projectId}`);
      await page.getByRole('button', { name: 'Manage Studio iMac' }).click();
      await page.getByRole('button', { name: 'Release…' }).click();
      await page.getByRole('dialog').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.keyboard.press('Escape');
      const fresh = await loopbackContext(browser);
      const signIn = await fresh.newPage(1280);
      await signIn.goto(server.url);
      await signIn.getByRole('button', { name: 'Sign in as bob' }).waitFor();
      expect({ view: 'sign-in', violations: await axeViolations(signIn) }).toEqual({ view: 'sign-in', violations: [] });
      await fresh.context.close();
    });

    it('alice rotates the CA: the new one signs, the old one stays trusted until she retires it', async () => {
      await page.goto(`${server.url}#/projects/${filmId}/settings`);
      await page.locator('tr[data-ca]').first().waitFor();
      expect(await page.locator('tr[data-ca]').count()).toBe(1);
      const before = await page.locator('tr[data-ca]').getAttribute('data-ca');
      await page.getByRole('button', { name: 'Rotate the CA…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Rotate the CA?' });
      expect(await dialog.innerText()).toContain('stays trusted');
      await dialog.getByRole('button', { name: 'Rotate the CA' }).click();
      await expect.poll(() => page.locator('tr[data-ca]').count(), SOON).toBe(2);
      const old = page.locator(`tr[data-ca="${before}"]`);
      expect((await old.innerText()).replace(/\s+/g, ' ')).toContain('trusted');
      expect((await page.locator('tr[data-ca]').first().innerText()).replace(/\s+/g, ' ')).toContain('signing');
      await screenshot(page, 'dashboard-settings-1280');
      await old.getByRole('button', { name: /^Retire CA / }).click();
      await page.getByRole('dialog', { name: 'Retire this CA?' }).getByRole('button', { name: 'Retire CA' }).click();
      await expect.poll(() => page.locator('tr[data-ca]').count(), SOON).toBe(1);
    });

    it('the owner deletes the project only after typing its name', async () => {
      await page.goto(`${server.url}#/projects/${filmId}/settings`);
      await page.getByRole('button', { name: 'Delete this project…' }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${film}?` });
      const confirm = dialog.getByRole('button', { name: `Delete ${film}` });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type “${film}” to confirm`).fill('Film nigh');
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type “${film}” to confirm`).fill(film);
      await screenshot(page, 'dashboard-delete-confirm-1280');
      await bobPage.goto(`${server.url}#/projects/${filmId}`);
      await bobPage.getByRole('heading', { level: 1, name: film }).waitFor();
      await confirm.click();
      await page.getByRole('heading', { level: 1, name: 'Your projects' }).waitFor();
      expect(await page.getByRole('status').filter({ hasText: `${film} is deleted` }).innerText()).toMatch(/stays held until/);
      await expect.poll(() => page.locator(`[data-project="${filmId}"]`).count(), SOON).toBe(0);
      // Bob had it open: at his next poll the page says it is gone, and shows nothing of it.
      await bobPage.getByRole('heading', { level: 1, name: 'Project not found' }).waitFor({ timeout: 10_000 });
      expect(await bobPage.locator('table').count()).toBe(0);
      await screenshot(bobPage, 'dashboard-project-gone-1280');
      expect(bobSide.blocked).toEqual([]);
      await bobSide.context.close();
    });
  });

  it('never let the browser leave loopback, and the page threw nothing', () => {
    expect(loopback.blocked).toEqual([]);
    expect(pageErrors.filter((e) => !e.includes('forced fault of the page'))).toEqual([]);
  });
});
