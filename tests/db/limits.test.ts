// One set of limits, held in two layers: the request schemas check
// supabase/functions/_shared/limits.ts at the edge, and the database holds
// the same numbers in named table constraints and in the checks of its
// callable functions (reachable without the edge function). This suite reads
// the constraints back from the migrated database, probes the functions at
// each bound, and runs one corpus of endpoints through both the TypeScript
// and the SQL endpoint rule, so neither layer can drift from the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import {
  MAX_CA_PEM_CHARS,
  MAX_DEVICE_NAME_CHARS,
  MAX_LIGHTHOUSE_ENDPOINTS,
  MAX_PROJECT_NAME_CHARS,
  MAX_PUBLIC_KEY_CHARS,
  MAX_SUBNET_PREFIX,
  MIN_SUBNET_PREFIX,
} from '../../supabase/functions/_shared/limits.ts';
import { isEndpoint } from '../../supabase/functions/_shared/http/index.ts';
import { asUser, createUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';

let db: FreshDatabase;
let sql: Sql;
let owner: string;
let project: string;

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
  owner = await createUser(sql);
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('limits', '10.77.0.0/24')`);
  project = p!.id;
});
afterAll(async () => db?.drop());

/** The bounds a named CHECK constraint puts on `expression`, as Postgres prints it back (`between` becomes >= and <=). */
async function checkBounds(table: string, constraint: string, expression: string): Promise<{ min?: number; max?: number }> {
  const [row] = await sql<{ def: string }[]>`
    select pg_get_constraintdef(c.oid) as def
      from pg_constraint c
     where c.conrelid = ${`vidsync.${table}`}::regclass and c.conname = ${constraint} and c.contype = 'c'`;
  if (!row) throw new Error(`no check constraint ${constraint} on vidsync.${table}`);
  const escaped = expression.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const min = new RegExp(`${escaped} >= (\\d+)`).exec(row.def)?.[1];
  const max = new RegExp(`${escaped} <= (\\d+)`).exec(row.def)?.[1];
  return { min: min === undefined ? undefined : Number(min), max: max === undefined ? undefined : Number(max) };
}

describe('the tables hold the TypeScript limits', () => {
  it.each([
    ['devices', 'devices_name_length', 'length(btrim(name))', 1, MAX_DEVICE_NAME_CHARS],
    ['devices', 'devices_public_key_length', 'length(public_key)', 1, MAX_PUBLIC_KEY_CHARS],
    ['devices', 'devices_lighthouse_endpoints_count', 'cardinality(lighthouse_endpoints)', undefined, MAX_LIGHTHOUSE_ENDPOINTS],
    ['projects', 'projects_name_length', 'length(btrim(name))', 1, MAX_PROJECT_NAME_CHARS],
    ['projects', 'projects_subnet_size', 'masklen((subnet)::inet)', MIN_SUBNET_PREFIX, MAX_SUBNET_PREFIX],
    ['project_cas', 'project_cas_certificate_pem_length', 'length(certificate_pem)', undefined, MAX_CA_PEM_CHARS],
  ] as const)('vidsync.%s %s', async (table, constraint, expression, min, max) => {
    expect(await checkBounds(table, constraint, expression)).toEqual({ min, max });
  });

  it('every device row\'s endpoints pass vidsync.is_endpoint (devices_lighthouse_endpoints_valid)', async () => {
    const [row] = await sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'devices_lighthouse_endpoints_valid'`;
    expect(row?.def).toContain('vidsync.are_endpoints(lighthouse_endpoints)');
  });
});

describe('the callable functions refuse one past each limit with VS005', () => {
  const key = 'k'.repeat(10);
  const register = (fields: { name?: string; key?: string; endpoints?: string[] }) =>
    asUser(sql, owner, 'authenticated', (tx) =>
      tx`select * from vidsync_api.register_device(${project}, ${crypto.randomUUID()}, ${fields.name ?? 'dev'}, ${fields.key ?? key},
                                              ${fields.endpoints !== undefined}, ${fields.endpoints ?? []}::text[])`,
    );

  it('register_device: device name', async () => {
    expect(await sqlstateOf(register({ name: 'n'.repeat(MAX_DEVICE_NAME_CHARS) }))).toBe('ok');
    expect(await sqlstateOf(register({ name: 'n'.repeat(MAX_DEVICE_NAME_CHARS + 1) }))).toBe('VS005');
  });

  it('register_device: public key', async () => {
    expect(await sqlstateOf(register({ key: 'k'.repeat(MAX_PUBLIC_KEY_CHARS) }))).toBe('ok');
    expect(await sqlstateOf(register({ key: 'k'.repeat(MAX_PUBLIC_KEY_CHARS + 1) }))).toBe('VS005');
  });

  it('register_device: lighthouse endpoints', async () => {
    const endpoints = (n: number) => Array.from({ length: n }, (_, i) => `lh${i}.example.com:4242`);
    expect(await sqlstateOf(register({ endpoints: endpoints(MAX_LIGHTHOUSE_ENDPOINTS) }))).toBe('ok');
    expect(await sqlstateOf(register({ endpoints: endpoints(MAX_LIGHTHOUSE_ENDPOINTS + 1) }))).toBe('VS005');
    expect(await sqlstateOf(register({ endpoints: ['lh.example.com:04242'] }))).toBe('VS005');
  });

  it('create_project: project name and subnet size', async () => {
    const create = (name: string, subnet: string) =>
      asUser(sql, owner, 'authenticated', (tx) => tx`select id from vidsync_api.create_project(${name}, ${subnet}::cidr)`);
    expect(await sqlstateOf(create('p'.repeat(MAX_PROJECT_NAME_CHARS), '10.78.0.0/30'))).toBe('ok');
    expect(await sqlstateOf(create('p'.repeat(MAX_PROJECT_NAME_CHARS + 1), '10.78.0.4/30'))).toBe('VS005');
    expect(await sqlstateOf(create('too big', `10.80.0.0/${MIN_SUBNET_PREFIX - 1}`))).toBe('VS005');
    expect(await sqlstateOf(create('too small', `10.78.0.8/${MAX_SUBNET_PREFIX + 1}`))).toBe('VS005');
  });
});

describe('endpoints: vidsync.is_endpoint and isEndpoint agree', () => {
  const label63 = 'a'.repeat(63);
  const name253 = [label63, label63, label63, 'b'.repeat(61)].join('.');
  const CORPUS = [
    // accepted
    'lh.example.com:4242', 'a:1', 'example.com.:65535', '203.0.113.7:4242', '0.0.0.0:1', '255.255.255.255:9',
    '[2001:db8::1]:4242', '[::1]:1', '[::ffff:1.2.3.4]:1', '[1:2:3:4:5:6:7:8]:1', '[1:2:3:4:5:6:1.2.3.4]:1',
    `${name253}:1`, `${label63}.com:1`, 'xn--bcher-kva.example:443', 'a-b.c-d:2',
    // refused
    '', ':4242', 'host', 'host:', 'host:0', 'host:65536', 'host:04242', 'host:99999', 'host:123456',
    '256.1.1.1:1', '01.2.3.4:1', '1.2.3:1', '1.2.3.4.5:1', '1.2.3.4:', '[1.2.3.4]:1', '[zz::1]:1', '[::1]', '[::1]:',
    '[1::2::3]:1', '[::1.2.3]:1', '[::1.2.3.4.5]:1', '[::1.2.3.]:1', '[1.2.3.4::]:1', '[1:2:3:4:5:6:7:8:9]:1', '[2001:db8::1%eth0]:1', '[:::]:1', '[::01.2.3.4]:1',
    '-a.com:1', 'a-.com:1', 'a..b:1', '.:1', '..:1', '.a:1', 'a.com..:1', `${name253}b:1`, `${'a'.repeat(64)}.com:1`,
    'host :1', 'ho_st:1', 'host:1 ', ' host:1', 'host:+1', 'host:1:2', 'user@host:1', 'ホスト:1',
  ];

  async function sqlVerdicts(endpoints: string[]): Promise<Map<string, boolean>> {
    const rows = await sql<{ e: string; ok: boolean }[]>`select e, vidsync.is_endpoint(e) as ok from unnest(${endpoints}::text[]) as e`;
    return new Map(rows.map((r) => [r.e, r.ok]));
  }

  it('on a corpus of edge cases', async () => {
    const verdicts = await sqlVerdicts(CORPUS);
    const disagreements = CORPUS.filter((e) => verdicts.get(e) !== isEndpoint(e));
    expect(disagreements).toEqual([]);
    expect(CORPUS.filter((e) => isEndpoint(e)).length).toBe(15); // the corpus does exercise both answers
  });

  it('on generated host:port strings', async () => {
    const hostChar = fc.constantFrom(...'ab09.-:[]fF'.split(''));
    const endpoint = fc.oneof(
      fc.tuple(fc.string({ unit: hostChar, maxLength: 20 }), fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), maxLength: 6 })).map(([h, p]) => `${h}:${p}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 70000 })).map(([a, p]) => `[${a}]:${p}`),
      fc.tuple(fc.ipV4Extended(), fc.integer({ min: 0, max: 70000 })).map(([a, p]) => `${a}:${p}`),
      fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70000 })).map(([d, p]) => `${d}:${p}`),
    );
    const samples = fc.sample(endpoint, { numRuns: 2000, seed: 20261130 });
    const verdicts = await sqlVerdicts(samples);
    const disagreements = samples.filter((e) => verdicts.get(e) !== isEndpoint(e));
    expect(disagreements.slice(0, 20)).toEqual([]);
  });
});
