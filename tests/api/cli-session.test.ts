// Who a CLI command acts as when only part of a session is given: what is
// missing comes from the running local stack (`npm run dev`), and only for
// that stack's own URL. The local-session tooling reads .local/ of a running
// dev stack; here it is replaced by one that names the test's function.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { useApi } from '../support/api.ts';
import { runCli } from '../support/cli.ts';
import { useTempDir } from '../support/temp-dir.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';

const localSession = vi.hoisted(() => ({
  runningStack: vi.fn(),
  mintLocalToken: vi.fn(),
}));
vi.mock('../../scripts/local-session/index.ts', () => localSession);

const api = useApi();
const work = useTempDir('vidsync-cli-session');
let carol: LocalUser;
let dave: LocalUser;
const HOSTED_NEEDS_ALL = 'Error: a hosted project needs -url, -anon-key and -token (or SUPABASE_URL, SUPABASE_ANON_KEY, VIDSYNC_ACCESS_TOKEN)\n';

beforeAll(async () => {
  [carol, dave] = await Promise.all([api.user('carol'), api.user('dave')]);
});

beforeEach(() => {
  localSession.runningStack.mockReset().mockResolvedValue({ dbUrl: 'unused', supabaseUrl: api.functions.supabaseUrl, anonKey: api.functions.anonKey });
  // -email names the local user to act as.
  localSession.mintLocalToken.mockReset().mockImplementation(async (email: string) => {
    const user = email === 'dave@example.com' ? dave : carol;
    return { id: user.id, email, accessToken: user.accessToken };
  });
});

async function ownerOfCreated(args: string[]): Promise<string> {
  const created = await runCli(work.path, ['project', 'create', '-name', `session ${crypto.randomUUID().slice(0, 8)}`, ...args]);
  expect(created).toMatchObject({ code: 0, stderr: '' });
  const [row] = await api.sql<{ owner_id: string }[]>`select owner_id from vidsync.projects where id = ${created.stdout.split(' ')[0]!}`;
  return row!.owner_id;
}

describe('vidsync: a session given in part', () => {
  it('nothing given: the local stack, as -email (alice by default)', async () => {
    expect(await ownerOfCreated(['-email', 'dave@example.com'])).toBe(dave.id);
  });

  it('only a token (vidsync dev token …): the local stack\'s URL and key, acting as the token\'s user', async () => {
    expect(await ownerOfCreated(['-token', dave.accessToken])).toBe(dave.id);
    expect(localSession.mintLocalToken).not.toHaveBeenCalled();
  });

  it('only the local stack\'s own URL (as npm run dev prints it): its key, and a token for -email', async () => {
    expect(await ownerOfCreated(['-url', `${api.functions.supabaseUrl}/`, '-email', 'dave@example.com'])).toBe(dave.id);
  });

  it('a token or key of another project, without a URL: all three are needed, and none of it goes to the local stack', async () => {
    const claims = Buffer.from(JSON.stringify({ iss: 'https://abcdefgh.supabase.co/auth/v1', sub: dave.id, role: 'authenticated' })).toString('base64url');
    const hostedToken = `eyJhbGciOiJFUzI1NiJ9.${claims}.c2lnbmF0dXJl`;
    for (const args of [['-token', hostedToken], ['-anon-key', 'sb_publishable_hosted'], ['-token', dave.accessToken, '-anon-key', 'sb_publishable_hosted']]) {
      expect(await runCli(work.path, ['project', 'create', '-name', 'x', ...args]), args[0]).toEqual({ code: 1, stdout: '', stderr: HOSTED_NEEDS_ALL });
    }
    expect(localSession.mintLocalToken).not.toHaveBeenCalled();
  });

  it('another URL in part: all three are needed, and nothing of the local stack is sent to it', async () => {
    const result = await runCli(work.path, ['project', 'create', '-name', 'x', '-url', 'http://127.0.0.1:9/', '-token', dave.accessToken]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: HOSTED_NEEDS_ALL });
    expect(localSession.mintLocalToken).not.toHaveBeenCalled();
  });

  it('no local stack running: in part, all three are needed; with nothing given, it says to start one', async () => {
    localSession.runningStack.mockRejectedValue(new Error('no local stack is running (start it with `npm run dev`)'));
    expect(await runCli(work.path, ['project', 'create', '-name', 'x', '-token', dave.accessToken])).toEqual({ code: 1, stdout: '', stderr: HOSTED_NEEDS_ALL });
    expect(await runCli(work.path, ['project', 'create', '-name', 'x'])).toEqual({ code: 1, stdout: '', stderr: 'Error: no local stack is running (start it with `npm run dev`)\n' });
  });
});
