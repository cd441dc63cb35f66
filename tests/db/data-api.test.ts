// The Data API surface, as an attacker with a normal account sees it. On a
// hosted project PostgREST exposes the schemas of supabase/config.toml's
// [api] list: every function there that a role may execute is callable at
// /rest/v1/rpc/<name> by anyone holding the anon key (role anon) or a
// session (role authenticated), with no edge function in between. Called
// that way, create_project once made projects without a CA and
// register_device handed out addresses with no certificate.
//
// This suite builds a real world through the nebula function (projects with
// CAs, devices with certificates, a lighthouse), then calls EVERY function in
// the exposed schemas, found in the catalog, the way PostgREST does (SET
// LOCAL ROLE, request.jwt.claims, one read-write transaction that commits),
// as anon, as a signed-in stranger, as a plain member and as a project's
// owner, with hostile arguments drawn per argument type. Afterwards no
// invariant may be broken (tests/support/invariants.ts). And the function's
// own SQL API, vidsync_api, is out of PostgREST's and anon's reach.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { asUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { ApiRole, FreshDatabase } from '../support/db.ts';
import { brokenInvariants } from '../support/invariants.ts';
import { addMember, createProject, newDeviceKey } from '../api/helpers.ts';

let db: FreshDatabase;
let sql: Sql;
let api: ApiHarness;

interface World {
  ownerId: string;
  memberId: string;
  strangerId: string;
  /** The owner of the other project. */
  otherId: string;
  projects: string[];
  devices: string[];
}
const world = {} as World;

/** The schemas the Data API exposes, from supabase/config.toml ([api] schemas). */
async function exposedSchemas(): Promise<string[]> {
  const toml = await readFile(new URL('../../supabase/config.toml', import.meta.url), 'utf8');
  const api = /^\[api\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const list = /^schemas\s*=\s*\[([^\]]*)\]/m.exec(api)?.[1];
  if (list === undefined) throw new Error('supabase/config.toml has no [api] schemas list');
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

async function register(token: string, projectId: string, name: string, lighthouse?: string[]): Promise<string> {
  const key = await newDeviceKey();
  const deviceId = crypto.randomUUID();
  const res = await api.fetch('register', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem, ...(lighthouse ? { lighthouse: { endpoints: lighthouse } } : {}) }),
  });
  if (res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`);
  return deviceId;
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
  api = await startApi({ dbUrl: db.url });
  const [owner, member, stranger, other] = await Promise.all(['owner', 'member', 'stranger', 'other'].map((n) => api.user(n)));
  Object.assign(world, { ownerId: owner!.id, memberId: member!.id, strangerId: stranger!.id, otherId: other!.id, projects: [], devices: [] });
  const mine = await createProject(api.client(owner!.accessToken), 'Data API target');
  const theirs = await createProject(api.client(other!.accessToken), 'Another tenant');
  await addMember(api.sql, mine.projectId, member!.id, 'member');
  world.projects.push(mine.projectId, theirs.projectId);
  world.devices.push(
    await register(owner!.accessToken, mine.projectId, 'owner lighthouse', ['198.51.100.7:4242']),
    await register(member!.accessToken, mine.projectId, 'member laptop'),
    await register(other!.accessToken, theirs.projectId, 'their desktop'),
  );
  await api.fetch(`release/${world.devices[1]}`, { method: 'POST', token: member!.accessToken });
  world.devices.push(await register(member!.accessToken, mine.projectId, 'member desktop'));
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

interface Fn {
  oid: number;
  schema: string;
  name: string;
  args: { name: string | null; type: string }[];
}

async function functionsIn(schemas: string[]): Promise<Fn[]> {
  const rows = await sql<{ oid: number; schema: string; name: string; arg_names: string[] | null; arg_types: string[]; nargs: number }[]>`
    select p.oid::int as oid, n.nspname as schema, p.proname as name, p.proargnames as arg_names, p.pronargs as nargs,
           array(select format_type(t, null) from unnest(p.proargtypes) with ordinality as a(t, i) order by i) as arg_types
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any(${schemas}) and p.prokind in ('f', 'p')
     order by 2, 3`;
  return rows.map((r) => ({
    oid: r.oid,
    schema: r.schema,
    name: r.name,
    args: r.arg_types.map((type, i) => ({ name: r.arg_names?.[i] || null, type })),
  }));
}

/** A Postgres array literal of `values` (every element quoted). */
function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** Arguments an attacker would try, per argument type, as text for `$n::type`; null is SQL NULL. */
function valuesOf(type: string): (string | null)[] {
  const ids = [...world.projects, ...world.devices, world.ownerId, world.memberId, world.strangerId, crypto.randomUUID(), '00000000-0000-0000-0000-000000000000'];
  switch (type) {
    case 'uuid':
      return [...ids, null];
    case 'text':
    case 'character varying':
    case 'name':
      return ['x', '', 'line\nbreak', 'evil\u202Egpj.exe', 'z'.repeat(100_000), "'); drop table vidsync.projects; --", 'owner', 'admin', null];
    case 'cidr':
    case 'inet':
      return ['10.99.0.0/24', '0.0.0.0/0', '8.8.8.0/24', '10.0.0.0/8', null];
    case 'boolean':
      return ['true', 'false', null];
    case 'smallint':
    case 'integer':
    case 'bigint':
      return ['1', '0', '-1', '2147483647', null];
    case 'interval':
      return ['0', '-1 day', '1000 years', null];
    case 'timestamp with time zone':
      return ['-infinity', 'infinity', '2000-01-01', null];
    case 'text[]':
      return [arrayLiteral([]), arrayLiteral(['[:::::]:1', '999.999.999.999:00080']), arrayLiteral(Array.from({ length: 20_000 }, (_, i) => `h${i}:1`)), null];
    case 'uuid[]':
      return [arrayLiteral(ids), arrayLiteral([]), null];
    case 'json':
    case 'jsonb':
      return ['{}', '{"query":"{ __schema { types { name } } }"}', '[]', 'null', null];
    default:
      throw new Error(`no attack values for argument type ${type}: add them to valuesOf`);
  }
}

/** Calls `fn` as PostgREST's /rpc would, in a transaction that commits unless it fails. */
function call(fn: Fn, role: ApiRole, userId: string | null, args: (string | null)[]): Promise<unknown> {
  const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const list = fn.args.map((a, i) => `${a.name ? `${ident(a.name)} := ` : ''}$${i + 1}::${a.type}`).join(', ');
  return asUser(sql, userId, role, (tx) => tx.unsafe(`select * from ${ident(fn.schema)}.${ident(fn.name)}(${list})`, args));
}

describe('the Data API surface', () => {
  it('exposes public and graphql_public only: not vidsync, not vidsync_api', async () => {
    expect((await exposedSchemas()).sort()).toEqual(['graphql_public', 'public']);
  });

  it('no function in an exposed schema breaks an invariant, whoever calls it with whatever arguments', async () => {
    expect(await brokenInvariants(sql)).toEqual([]); // the world starts sound
    const functions = await functionsIn(await exposedSchemas());
    expect(functions.length).toBeGreaterThan(0);
    const identities: { who: string; role: ApiRole; userId: string | null }[] = [
      { who: 'anon', role: 'anon', userId: null },
      { who: 'stranger', role: 'authenticated', userId: world.strangerId },
      { who: 'member', role: 'authenticated', userId: world.memberId },
      { who: 'owner', role: 'authenticated', userId: world.ownerId },
    ];
    const report: Record<string, Record<string, string[]>> = {};
    let calls = 0;
    for (const fn of functions) {
      const label = `${fn.schema}.${fn.name}(${fn.args.map((a) => a.type).join(', ')})`;
      // The first value of each type is a plausible one (the owner's project, 'x', 0…), so one call
      // is well-formed; then random mixes of every value.
      const plausible = fn.args.map((a) => valuesOf(a.type)[0]!);
      const tuples = fn.args.length === 0
        ? [[]]
        : [plausible, ...fc.sample(fc.tuple(...fn.args.map((a) => fc.constantFrom(...valuesOf(a.type)))), { numRuns: 60, seed: 20261130 })];
      report[label] = {};
      for (const id of identities) {
        const [row] = await sql<{ allowed: boolean }[]>`select has_function_privilege(${id.role}, ${fn.oid}::oid, 'execute') as allowed`;
        const outcomes = new Set<string>();
        for (const args of tuples) {
          outcomes.add(await sqlstateOf(call(fn, id.role, id.userId, args as (string | null)[])));
          calls++;
        }
        // A role without EXECUTE is refused, as PostgREST would be.
        if (!row!.allowed) expect({ label, who: id.who, outcomes: [...outcomes] }).toEqual({ label, who: id.who, outcomes: ['42501'] });
        report[label]![id.who] = [...outcomes].sort();
      }
      expect({ after: label, broken: await brokenInvariants(sql) }).toEqual({ after: label, broken: [] });
    }
    // The calls did reach the functions: a member or the owner gets answers, not only refusals.
    for (const [label, byWho] of Object.entries(report)) {
      expect({ label, answered: [...byWho.member!, ...byWho.owner!].includes('ok') }).toEqual({ label, answered: true });
    }
    expect(calls).toBeGreaterThan(100);
  });

  it('public.project_audit_log with its filters, called by /rpc: another project\'s owner and a stranger get VS003, a member VS004, the owner only matching rows', async () => {
    const [mine, theirs] = world.projects as [string, string];
    const [lighthouse, , theirDevice] = world.devices as [string, string, string];
    const audit = (userId: string, project: string, action: string | null, device: string | null) =>
      asUser(sql, userId, 'authenticated', (tx) =>
        tx<{ action: string; project_id: string; device_id: string | null }[]>`
          select action, project_id, device_id from public.project_audit_log(project => ${project}::uuid, before => null, max_rows => 500, only_action => ${action}, only_device => ${device}::uuid)`);
    const before = await sql`select count(*)::int as n from vidsync.audit_log`;
    for (const [action, device] of [['device.register', lighthouse], [null, lighthouse], ['device.register', null], [null, null]] as const) {
      expect(await sqlstateOf(audit(world.otherId, mine, action, device))).toBe('VS003');
      expect(await sqlstateOf(audit(world.strangerId, mine, action, device))).toBe('VS003');
      expect(await sqlstateOf(audit(world.memberId, mine, action, device))).toBe('VS004');
    }
    // The owner's filters select within the project only.
    const registered = await audit(world.ownerId, mine, 'device.register', lighthouse);
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.every((r) => r.action === 'device.register' && r.device_id === lighthouse && r.project_id === mine)).toBe(true);
    expect(await audit(world.ownerId, mine, null, theirDevice)).toEqual([]);
    // Nor can the other owner reach this project's rows by naming this project's device in their own log.
    expect(await audit(world.otherId, theirs, null, lighthouse)).toEqual([]);
    expect((await audit(world.otherId, theirs, 'device.register', null)).every((r) => r.project_id === theirs)).toBe(true);
    expect(await sql`select count(*)::int as n from vidsync.audit_log`).toEqual(before);
  });

  it('anon may not even see vidsync_api (no USAGE, no EXECUTE); every one of its functions refuses anon with 42501', async () => {
    const [usage] = await sql<{ anon: boolean; authenticated: boolean }[]>`
      select has_schema_privilege('anon', 'vidsync_api', 'usage') as anon, has_schema_privilege('anon', 'vidsync', 'usage') as authenticated`;
    expect(usage).toEqual({ anon: false, authenticated: false });
    const functions = await functionsIn(['vidsync_api']);
    expect(functions.length).toBeGreaterThan(5);
    for (const fn of functions) {
      const [row] = await sql<{ allowed: boolean }[]>`select has_function_privilege('anon', ${fn.oid}::oid, 'execute') as allowed`;
      expect({ fn: fn.name, allowed: row!.allowed }).toEqual({ fn: fn.name, allowed: false });
      const args = fn.args.map(() => null);
      expect({ fn: fn.name, outcome: await sqlstateOf(call(fn, 'anon', null, args)) }).toEqual({ fn: fn.name, outcome: '42501' });
    }
  });
});
