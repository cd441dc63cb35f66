// The dashboard in a real browser: Debian's Chromium driven by
// playwright-core, never allowed past loopback. Every request the page makes
// goes through a route that lets 127.0.0.1 through and aborts anything else
// (and records it, so a suite can assert there was none); the launch flags
// switch off Chromium's own background traffic.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('.local/screenshots');

export async function launchChromium(): Promise<Browser> {
  // playwright-core gives each launch a fresh, empty profile directory of its own (the --user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface LoopbackContext {
  readonly context: BrowserContext;
  /** Requests that tried to leave loopback (and were aborted). */
  readonly blocked: string[];
  /** Every answer of the `nebula` function, as `<status> <method> <path after /nebula/>`. */
  readonly apiAnswers: string[];
  /** A page of this context at `width` × `height` pixels. */
  newPage(width: number, height?: number): Promise<Page>;
}

export async function loopbackContext(browser: Browser): Promise<LoopbackContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const blocked: string[] = [];
  const apiAnswers: string[] = [];
  context.on('response', (response) => {
    const { pathname } = new URL(response.url());
    const at = pathname.indexOf('/functions/v1/nebula/');
    if (at >= 0) apiAnswers.push(`${response.status()} ${response.request().method()} ${pathname.slice(at + '/functions/v1/nebula/'.length)}`);
  });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    blocked,
    apiAnswers,
    async newPage(width, height = 800) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      return page;
    },
  };
}

/** A full-page PNG in .local/screenshots/, returning its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** One rule axe-core found broken on the page: its id, impact and where (up to five elements). */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core (Deque's rules: WCAG 2.0/2.1 A and AA, and its best
 * practices) inside the page as it is now, and returns what it found broken.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}
