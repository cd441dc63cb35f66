// The SDK's browser entry and the dashboard's pure parts, without a browser:
// client/src/browser.ts bundles for browsers with nothing from Node (esbuild
// refuses `node:` imports for platform "browser"), while the Node entry does
// not; and the page's time formats read as intended.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { ago, expiresSoon, span, timeLeft } from '../../dashboard/src/format.ts';

async function bundleForBrowser(entry: string) {
  return build({ entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'esm', metafile: true, logLevel: 'silent' });
}

describe('client/src/browser.ts', () => {
  it('bundles for a browser, with no Node module in its import graph', async () => {
    const result = await bundleForBrowser('client/src/browser.ts');
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('client/src/projects-read.ts');
    expect(inputs.filter((i) => i.startsWith('node:') || i.includes('client/src/files.ts') || i.includes('client/src/identity.ts'))).toEqual([]);
  });

  it('is the only entry that does: the Node entry needs Node (so the check above can fail)', async () => {
    await expect(bundleForBrowser('client/src/index.ts')).rejects.toThrow(/node:/);
  });
});

describe('the dashboard’s time formats', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('reads spans in their largest whole unit', () => {
    expect([0, 42, 60, 3599, 3600, 86400 * 3 + 5, 86400 * 45, 86400 * 400].map(span)).toEqual(['0 s', '42 s', '1 min', '59 min', '1 h', '3 d', '1 mo', '1 y']);
  });
  it('says how long ago and how long left, and when something expired', () => {
    expect(ago('2026-11-30T11:59:48Z', now)).toBe('12 s ago');
    expect(ago(null, now)).toBe('never');
    expect(timeLeft('2026-12-29T12:00:00Z', now)).toBe('29 d left');
    expect(timeLeft('2026-11-28T12:00:00Z', now)).toBe('expired 2 d ago');
    expect(timeLeft(null, now)).toBe('—');
  });
  it('warns two days before a certificate expires and a month before the CA does', () => {
    const inDays = (d: number) => new Date(now + d * 86400_000).toISOString();
    expect([expiresSoon(inDays(1.9), now, 'certificate'), expiresSoon(inDays(2.1), now, 'certificate')]).toEqual([true, false]);
    expect([expiresSoon(inDays(29), now, 'ca'), expiresSoon(inDays(31), now, 'ca')]).toEqual([true, false]);
    expect(expiresSoon(null, now, 'ca')).toBe(false);
  });
});
