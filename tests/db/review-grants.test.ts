// An operator's review of the grants, as a hosted Supabase project would
// have them after `supabase db push`: the catalog of the migrated database,
// not the migration files' text, so a function defined twice, replaced
// without its grants or added by a later file is seen as it ends up.
// On hosted projects PostgREST calls any function of `public` that
// `authenticated` may execute (Supabase's lint 0029), and the platform's
// default privileges grant EXECUTE on new functions there to anon and
// authenticated (the local bootstrap does the same): every function there
// must say explicitly who may call it. data-api.test.ts attacks what is
// callable; this file fixes what may be callable at all, so a new function
// in `public` or a grant widened by mistake fails here and gets a review.
import { afterAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { connect } from '../support/db.ts';

const sql = connect();
afterAll(() => sql.end());

interface Fn {
  schema: string;
  name: string;
  args: string;
  definer: boolean;
  config: string[] | null;
  anon: boolean;
  authenticated: boolean;
  service: boolean;
  publicExecute: boolean;
  isTrigger: boolean;
}

async function functions(): Promise<Fn[]> {
  return sql<Fn[]>`
    select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as args,
           p.prosecdef as definer, p.proconfig as config,
           has_function_privilege('anon', p.oid, 'execute') as anon,
           has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
           has_function_privilege('service_role', p.oid, 'execute') as service,
           -- PUBLIC's grant: the default ACL (null) or an explicit '=X' entry.
           (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')) as "publicExecute",
           p.prorettype = 'trigger'::regtype as "isTrigger"
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('public', 'vidsync', 'vidsync_api') and p.prokind = 'f'
     order by 1, 2, 3`;
}

const label = (f: Fn) => `${f.schema}.${f.name}(${f.args})`;

/**
 * What a signed-in user may call at /rest/v1/rpc, each read-only and
 * checking membership itself (README, The SQL API). Adding to this list is a
 * security decision: it needs a case in data-api.test.ts and a README line.
 */
const PUBLIC_CALLABLE_BY_USERS = [
  'public.get_device_allocation(device uuid)',
  'public.list_project_allocations(project uuid)',
  'public.project_audit_log(project uuid, before bigint, max_rows integer, only_action text, only_device uuid)',
  'public.project_pool_stats(project uuid)',
];

/** vidsync_api steps no user may run: the service role's (the function's own) and the SQL editor's. */
const NOT_FOR_USERS = [
  'append_audit', 'enroll_device', 'take_rate_token', 'prune_rate_buckets', 'prune_audit_log',
  'admin_project_usage', 'admin_unseen_devices', 'admin_expiring_certificates', 'admin_busiest_projects',
];

describe('grants as deployed', () => {
  it('public: exactly the reviewed read-only functions are callable by authenticated, none by anon, every one a definer with an empty search_path', async () => {
    const mine = (await functions()).filter((f) => f.schema === 'public');
    expect(mine.filter((f) => f.authenticated).map(label)).toEqual(PUBLIC_CALLABLE_BY_USERS);
    expect(mine.filter((f) => f.anon || f.publicExecute).map(label)).toEqual([]);
    for (const f of mine) expect({ fn: label(f), definer: f.definer, config: f.config }).toEqual({ fn: label(f), definer: true, config: ['search_path=""'] });
  });

  it('vidsync_api: every function a definer with an empty search_path, none executable by PUBLIC or anon', async () => {
    const api = (await functions()).filter((f) => f.schema === 'vidsync_api');
    expect(api.length).toBeGreaterThan(30);
    for (const f of api) {
      expect({ fn: label(f), definer: f.definer, config: f.config, anon: f.anon, publicExecute: f.publicExecute })
        .toEqual({ fn: label(f), definer: true, config: ['search_path=""'], anon: false, publicExecute: false });
    }
  });

  it('the service role\'s and the SQL editor\'s steps (enrollment, audit writes, rate tokens, pruning, admin views) are not for users', async () => {
    const api = (await functions()).filter((f) => f.schema === 'vidsync_api' && NOT_FOR_USERS.includes(f.name));
    expect(new Set(api.map((f) => f.name))).toEqual(new Set(NOT_FOR_USERS));
    expect(api.filter((f) => f.authenticated).map(label)).toEqual([]);
    expect(api.filter((f) => f.name !== 'prune_audit_log' && !f.service).map(label)).toEqual([]);
  });

  it('vidsync: every security definer helper has an empty search_path, and none of them (nor any trigger function) is callable by anon or PUBLIC', async () => {
    const internal = (await functions()).filter((f) => f.schema === 'vidsync');
    for (const f of internal.filter((f) => f.definer || f.isTrigger)) {
      expect({ fn: label(f), config: f.config, anon: f.anon, publicExecute: f.publicExecute }).toEqual({ fn: label(f), config: ['search_path=""'], anon: false, publicExecute: false });
    }
    // anon has no USAGE on vidsync, so it could call nothing there anyway; the grants must not rely on that alone for definers.
    const [usage] = await sql<{ anon: boolean }[]>`select has_schema_privilege('anon', 'vidsync', 'usage') as anon`;
    expect(usage!.anon).toBe(false);
  });
});

describe('migrations as an operator applies them', () => {
  it('one file per timestamp, named <14 digits>_<name>.sql, so `supabase db push` applies them in one order everywhere', async () => {
    const files = (await readdir(new URL('../../supabase/migrations/', import.meta.url))).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(f).toMatch(/^\d{14}_[a-z0-9_]+\.sql$/);
    const versions = files.map((f) => f.slice(0, 14));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('every one of them is recorded as applied in the run\'s database (migrated from empty by the Supabase CLI)', async () => {
    const files = (await readdir(new URL('../../supabase/migrations/', import.meta.url))).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, 14)).sort();
    const applied = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(applied.map((r) => r.version)).toEqual(files);
  });
});
