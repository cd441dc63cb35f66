// POST /join answers in the same time whatever the outcome — joined,
// expired, revoked, used up, unknown — so its timing tells nothing its code
// does not (routes/invites.ts JOIN_ANSWER_FLOOR_MS). On a noisy shared
// machine exact equality cannot be measured; what must hold is that every
// answer waits for the floor (well above the work itself) and that the
// medians of the outcomes lie within a tolerance of each other.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JOIN_ANSWER_FLOOR_MS } from '../../supabase/functions/nebula/routes/invites.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { callWith, createProject } from './helpers.ts';

let api: ApiHarness;
let owner: string;
let projectId: string;

/** Samples per outcome; each sample is a fresh user, so no join bucket runs dry. */
const SAMPLES = 5;
/** How far apart two outcomes' medians may lie: far below the floor, far above the work the padding hides. */
const TOLERANCE_MS = 100;

beforeAll(async () => {
  api = await startApi();
  owner = (await api.user('timing-owner')).accessToken;
  projectId = (await createProject(api.client(owner), 'Timing', '10.199.0.0/24')).projectId;
});
afterAll(async () => api?.stop());

async function invite(maxUses: number): Promise<{ id: string; code: string }> {
  const res = await callWith(api, owner, 'POST', `projects/${projectId}/invites`, { role: 'member', maxUses, expiresInSeconds: 3600 });
  expect(res.status).toBe(201);
  return { id: res.json.inviteId as string, code: res.json.code as string };
}

it('every outcome of POST /join waits for the floor, and their medians lie within the tolerance', async () => {
  const open = await invite(1000);
  const expired = await invite(10);
  await api.sql`update vidsync.project_invites set expires_at = now() - interval '1 second' where id = ${expired.id}`;
  const revoked = await invite(10);
  expect((await callWith(api, owner, 'DELETE', `projects/${projectId}/invites/${revoked.id}`)).status).toBe(200);
  const usedUp = await invite(1);
  expect((await callWith(api, (await api.user('timing-first')).accessToken, 'POST', 'join', { code: usedUp.code })).status).toBe(201);

  const outcomes = {
    joined: { code: open.code, status: 201 },
    expired: { code: expired.code, status: 410 },
    revoked: { code: revoked.code, status: 410 },
    usedUp: { code: usedUp.code, status: 410 },
    unknown: { code: 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE', status: 404 },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(outcomes).map((k) => [k, []]));
  const joiners = await Promise.all(Array.from({ length: SAMPLES * 5 }, (_, i) => api.user(`timing-${i}`)));
  // Round robin, one request at a time: drifts in the machine's load hit every outcome alike.
  for (let round = 0; round < SAMPLES; round++) {
    for (const [name, { code, status }] of Object.entries(outcomes)) {
      const joiner = joiners.pop()!;
      const started = performance.now();
      const res = await callWith(api, joiner.accessToken, 'POST', 'join', { code });
      times[name]!.push(performance.now() - started);
      expect(res.status, name).toBe(status);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.info(`POST /join medians (ms, floor ${JOIN_ANSWER_FLOOR_MS}): ${Object.entries(medians).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  for (const [name, samples] of Object.entries(times)) {
    for (const t of samples) expect(t, name).toBeGreaterThanOrEqual(JOIN_ANSWER_FLOOR_MS);
  }
  const spread = Math.max(...Object.values(medians)) - Math.min(...Object.values(medians));
  expect(spread).toBeLessThan(TOLERANCE_MS);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
