// The SDK's browser entry and the dashboard's pure parts, without a browser:
// client/src/browser.ts bundles for browsers with nothing from Node (esbuild
// refuses `node:` imports for platform "browser"), while the Node entry does
// not; and the page's time formats read as intended.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { ago, expiresSoon, span, timeLeft } from '../../dashboard/src/format.ts';
import { folderHealth, folderText } from '../../dashboard/src/folders.ts';
import { layout } from '../../dashboard/src/views/network.ts';
import type { DeviceOverview } from '../../client/src/browser.ts';

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

describe('the dashboard’s folder words', () => {
  const folder = (state: string, completion: number, errors = 0, label?: string) => ({ folderId: 'f1', state, completion, errors, ...(label ? { label } : {}) });
  it('in sync only when idle and complete; errors win over everything; the label, else the id', () => {
    expect(folderText(folder('idle', 100, 0, 'Holiday'))).toBe('Holiday: in sync');
    expect(folderText(folder('idle', 80))).toBe('f1: syncing 80 %');
    expect(folderText(folder('syncing', 45.9, 0, 'Raw'))).toBe('Raw: syncing 45 %');
    expect(folderText(folder('scanning', 100))).toBe('f1: scanning 100 %');
    expect(folderText(folder('idle', 100, 3, 'Edits'))).toBe('Edits: error (3)');
    expect(folderHealth(folder('error', 100))).toBe('error');
  });
});

describe('the network picture’s layout', () => {
  const device = (name: string, isLighthouse = false) => ({ deviceId: name, name, isLighthouse }) as unknown as DeviceOverview;
  it('puts lighthouses in the middle and the other devices around them, none on top of another', () => {
    const frame = { w: 800, h: 460, rx: 310, ry: 175 };
    const placed = layout([device('a'), device('lh', true), device('b'), device('c')], frame);
    expect(placed.find((p) => p.d.name === 'lh')).toMatchObject({ x: 400, y: 230 });
    const others = placed.filter((p) => !p.d.isLighthouse);
    expect(others).toHaveLength(3);
    for (const p of others) expect(Math.hypot((p.x - 400) / 310, (p.y - 230) / 175)).toBeCloseTo(1, 6);
    const spots = new Set(placed.map((p) => `${Math.round(p.x)},${Math.round(p.y)}`));
    expect(spots.size).toBe(placed.length);
  });
});
