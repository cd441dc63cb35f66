// One set of limits, held in two layers: the request schemas check
// supabase/functions/_shared/limits.ts at the edge, and the database holds
// the same numbers in named table constraints and in the checks of its
// callable functions (reachable without the edge function). This suite reads
// the constraints back from the migrated database, probes the functions at
// each bound, and runs one corpus of endpoints through both the TypeScript
// and the SQL endpoint rule, so neither layer can drift from the other.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import * as limits from '../../supabase/functions/_shared/limits.ts';
import { HeartbeatBody, SyncFolderReport } from '../../supabase/functions/_shared/http/lifecycle-schemas.ts';
import { SYNC_FOLDER_STATES } from '../../supabase/functions/_shared/syncthing/index.ts';
import {
  FORBIDDEN_TEXT_RANGES,
  hasForbiddenTextChars,
  isDisplayText,
  trimDisplayText,
} from '../../supabase/functions/_shared/display-text.ts';
import { CreateProjectBody, isEndpoint, ReasonQuery, RegisterBody } from '../../supabase/functions/_shared/http/index.ts';
import { MAX_CAS_IN_BUNDLE, MAX_PEM_BYTES } from '../../supabase/functions/_shared/nebula-cert/limits.ts';
import { asUser, freshDatabaseWithOwner, sqlstateOf } from '../support/db.ts';

let sql: Sql;
let owner: string;
let project: string;

freshDatabaseWithOwner(async (db) => {
  ({ sql, owner } = db);
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('limits', '10.77.0.0/24')`);
  project = p!.id;
});

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
    ['devices', 'devices_name_length', 'length(btrim(name))', 1, limits.MAX_DEVICE_NAME_CHARS],
    ['devices', 'devices_public_key_length', 'length(public_key)', 1, limits.MAX_PUBLIC_KEY_CHARS],
    ['devices', 'devices_lighthouse_endpoints_count', 'cardinality(lighthouse_endpoints)', undefined, limits.MAX_LIGHTHOUSE_ENDPOINTS],
    ['devices', 'devices_sync_folders_count', 'jsonb_array_length(sync_folders)', undefined, limits.MAX_SYNC_FOLDERS],
    ['projects', 'projects_name_length', 'length(btrim(name))', 1, limits.MAX_PROJECT_NAME_CHARS],
    ['projects', 'projects_subnet_size', 'masklen((subnet)::inet)', limits.MIN_SUBNET_PREFIX, limits.MAX_SUBNET_PREFIX],
    ['project_cas', 'project_cas_certificate_pem_length', 'length(certificate_pem)', undefined, limits.MAX_CA_PEM_CHARS],
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
      tx`select * from vidsync_api.register_device(${project}, ${crypto.randomUUID()}, ${fields.name ?? `dev ${crypto.randomUUID()}`}, ${fields.key ?? key},
                                              ${fields.endpoints !== undefined}, ${fields.endpoints ?? []}::text[])`,
    );

  it('register_device: device name', async () => {
    expect(await sqlstateOf(register({ name: 'n'.repeat(limits.MAX_DEVICE_NAME_CHARS) }))).toBe('ok');
    expect(await sqlstateOf(register({ name: 'n'.repeat(limits.MAX_DEVICE_NAME_CHARS + 1) }))).toBe('VS005');
  });

  it('register_device: public key', async () => {
    expect(await sqlstateOf(register({ key: 'k'.repeat(limits.MAX_PUBLIC_KEY_CHARS) }))).toBe('ok');
    expect(await sqlstateOf(register({ key: 'k'.repeat(limits.MAX_PUBLIC_KEY_CHARS + 1) }))).toBe('VS005');
  });

  it('register_device: lighthouse endpoints', async () => {
    const endpoints = (n: number) => Array.from({ length: n }, (_, i) => `lh${i}.example.com:4242`);
    expect(await sqlstateOf(register({ endpoints: endpoints(limits.MAX_LIGHTHOUSE_ENDPOINTS) }))).toBe('ok');
    expect(await sqlstateOf(register({ endpoints: endpoints(limits.MAX_LIGHTHOUSE_ENDPOINTS + 1) }))).toBe('VS005');
    expect(await sqlstateOf(register({ endpoints: ['lh.example.com:04242'] }))).toBe('VS005');
  });

  it('register_device: names with control, bidirectional or invisible characters, or only spaces', async () => {
    for (const name of ['lap\ntop', 'evil\u202Egpj.exe', 'zero\u200Bwidth', 'bom\uFEFF', 'tag\u{E0041}', '\u3000\u00A0 ']) {
      expect({ name, outcome: await sqlstateOf(register({ name })) }).toEqual({ name, outcome: 'VS005' });
    }
  });

  it('register_device: lighthouse endpoints the config builder would refuse, too many, or on a plain device', async () => {
    for (const endpoints of [['[:::::]:1'], ['999.999.999.999:00080'], Array.from({ length: 20_000 }, (_, i) => `lh${i}.example.com:4242`)]) {
      expect(await sqlstateOf(register({ endpoints }))).toBe('VS005');
    }
    const plain = asUser(sql, owner, 'authenticated', (tx) =>
      tx`select * from vidsync_api.register_device(${project}, ${crypto.randomUUID()}, ${`plain ${crypto.randomUUID()}`}, 'key', false, ${['lh.example.com:4242']}::text[])`,
    );
    expect(await sqlstateOf(plain)).toBe('VS005');
  });

  it('the tables refuse what the functions refuse, whoever writes (VS005)', async () => {
    const [device] = await sql<{ id: string }[]>`select id from vidsync.devices where project_id = ${project} limit 1`;
    expect(await sqlstateOf(sql`update vidsync.devices set name = ${'a\u202Eb'} where id = ${device!.id}`)).toBe('VS005');
    expect(await sqlstateOf(sql`update vidsync.projects set name = ${'line\nbreak'} where id = ${project}`)).toBe('VS005');
    // …and store names trimmed, as the edge does.
    await sql`update vidsync.projects set name = ${'\u3000 spaced \u00A0'} where id = ${project}`;
    expect((await sql`select name from vidsync.projects where id = ${project}`)[0]).toEqual({ name: 'spaced' });
  });

  it('release_nebula_ip: the reason', async () => {
    const release = async (reason: string) => {
      const device = crypto.randomUUID();
      await asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${project}, ${device}, ${`r ${device}`}, 'key')`);
      return sqlstateOf(asUser(sql, owner, 'authenticated', (tx) => tx`select vidsync_api.release_nebula_ip(${device}, ${reason})`));
    };
    expect(await release('r'.repeat(limits.MAX_RELEASE_REASON_CHARS))).toBe('ok');
    expect(await release('r'.repeat(limits.MAX_RELEASE_REASON_CHARS + 1))).toBe('VS005');
    expect(await release('two\nlines')).toBe('VS005');
  });

  it('create_project: project name and subnet size', async () => {
    const create = (name: string, subnet: string) =>
      asUser(sql, owner, 'authenticated', (tx) => tx`select id from vidsync_api.create_project(${name}, ${subnet}::cidr)`);
    expect(await sqlstateOf(create('p'.repeat(limits.MAX_PROJECT_NAME_CHARS), '10.78.0.0/30'))).toBe('ok');
    expect(await sqlstateOf(create('p'.repeat(limits.MAX_PROJECT_NAME_CHARS + 1), '10.78.0.4/30'))).toBe('VS005');
    expect(await sqlstateOf(create('too big', `10.80.0.0/${limits.MIN_SUBNET_PREFIX - 1}`))).toBe('VS005');
    expect(await sqlstateOf(create('too small', `10.78.0.8/${limits.MAX_SUBNET_PREFIX + 1}`))).toBe('VS005');
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

describe('trusted CAs: vidsync.max_trusted_cas() and limits.MAX_TRUSTED_CAS', () => {
  it('are one number, and a bundle of that many CAs of the largest size passes the SDK\'s limits', async () => {
    const [row] = await sql<{ n: number }[]>`select vidsync.max_trusted_cas() as n`;
    expect(row!.n).toBe(limits.MAX_TRUSTED_CAS);
    expect(limits.MAX_TRUSTED_CAS).toBeLessThan(MAX_CAS_IN_BUNDLE);
    expect(limits.MAX_TRUSTED_CAS * limits.MAX_CA_PEM_CHARS).toBeLessThanOrEqual(MAX_PEM_BYTES / 2);
  });
});

describe('display text: vidsync.is_display_text and display-text.ts agree', () => {
  /** Inclusive ranges of the code points for which `refused` holds. */
  function rangesOf(codePoints: Iterable<number>): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const c of codePoints) {
      const last = out[out.length - 1];
      if (last && last[1] === c - 1) last[1] = c;
      else out.push([c, c]);
    }
    return out;
  }
  const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;

  it('FORBIDDEN_TEXT_RANGES are the Unicode properties they claim to be', () => {
    const byProperty = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Cs}]/u;
    const expected: number[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (isSurrogate(c) || byProperty.test(String.fromCodePoint(c))) expected.push(c);
    }
    expect(FORBIDDEN_TEXT_RANGES.map(([a, b]) => [a, b])).toEqual(rangesOf(expected));
  });

  it('on every Unicode code point (a Postgres text holds no surrogate and no NUL)', async () => {
    const rows = await sql<{ n: number }[]>`
      select n from generate_series(1, 1114111) as n
       where (n < 55296 or n > 57343) and vidsync.has_forbidden_text_chars(chr(n))
       order by n`;
    const inSql = rows.map((r) => r.n);
    const inTs: number[] = [];
    for (let c = 1; c <= 0x10ffff; c++) if (!isSurrogate(c) && hasForbiddenTextChars(String.fromCodePoint(c))) inTs.push(c);
    expect(rangesOf(inSql)).toEqual(rangesOf(inTs));
    expect(inTs.length).toBeGreaterThan(4000);
  });

  const CORPUS = [
    // accepted
    'Studio iMac', 'a', ' padded ', '\u00A0nbsp\u00A0', 'Zoë', 'e\u0301', 'ｌａｐｔｏｐ', '東京のMac', 'مكتب', 'שלום', '😀'.repeat(64), 'n'.repeat(64),
    'ß', 'İstanbul', 'a\u3000b', 'tab-free', 'x'.repeat(63) + '😀',
    // refused
    '', ' ', '\u3000', '\u00A0\u2007', 'n'.repeat(65), '😀'.repeat(65), 'lap\ntop', 'cr\r', 'tab\t', 'del\u007F', 'c1\u0085',
    'evil\u202Egpj.exe', 'isolate\u2066x\u2069', 'zw\u200Bsp', 'zwj\u200D', 'lrm\u200E', 'alm\u061C', 'soft\u00ADhyphen', 'bom\uFEFF',
    'vs16\uFE0F', 'hangul\u3164filler', 'tag\u{E0041}', 'ls\u2028', 'ps\u2029', 'wj\u2060', 'mongolian\u180E', 'cgj\u034F',
  ];

  async function sqlVerdicts(values: string[], max: number): Promise<boolean[]> {
    const rows = await sql<{ ok: boolean }[]>`
      select vidsync.is_display_text(v, ${max}) as ok from unnest(${values}::text[]) with ordinality as t(v, n) order by n`;
    return rows.map((r) => r.ok);
  }

  it('on a corpus of names, at the device name limit', async () => {
    const verdicts = await sqlVerdicts(CORPUS, limits.MAX_DEVICE_NAME_CHARS);
    const disagreements = CORPUS.filter((s, i) => verdicts[i] !== isDisplayText(s, limits.MAX_DEVICE_NAME_CHARS));
    expect(disagreements).toEqual([]);
    expect(CORPUS.filter((s) => isDisplayText(s, limits.MAX_DEVICE_NAME_CHARS)).length).toBe(17); // both answers are exercised
  });

  it('on generated strings of letters, spaces, astral and forbidden characters', async () => {
    const unit = fc.constantFrom('a', 'Z', ' ', '\u00A0', '\u3000', 'é', '😀', '\n', '\u202E', '\u200B', '\u{E0041}', '\uFE0F', '\u0085');
    const samples = fc.sample(fc.string({ unit, maxLength: 12 }), { numRuns: 2000, seed: 20261130 });
    const verdicts = await sqlVerdicts(samples, 8);
    const disagreements = samples.filter((s, i) => verdicts[i] !== isDisplayText(s, 8));
    expect(disagreements.slice(0, 20)).toEqual([]);
  });

  it('trims the same spaces', async () => {
    const rows = await sql<{ t: string }[]>`
      select vidsync.trim_display_text(v) as t from unnest(${CORPUS}::text[]) with ordinality as x(v, n) order by n`;
    expect(rows.map((r) => r.t)).toEqual(CORPUS.map(trimDisplayText));
  });

  it('the request schemas apply exactly this rule, with each field\'s limit', () => {
    const valid = { projectId: crypto.randomUUID(), deviceId: crypto.randomUUID(), publicKey: 'k' };
    for (const s of CORPUS) {
      expect({ s, ok: RegisterBody.safeParse({ ...valid, deviceName: s }).success }).toEqual({ s, ok: isDisplayText(s, limits.MAX_DEVICE_NAME_CHARS) });
      expect({ s, ok: CreateProjectBody.safeParse({ name: s }).success }).toEqual({ s, ok: isDisplayText(s, limits.MAX_PROJECT_NAME_CHARS) });
      if (s !== '') expect({ s, ok: ReasonQuery.safeParse({ reason: s }).success }).toEqual({ s, ok: isDisplayText(s, limits.MAX_RELEASE_REASON_CHARS) });
    }
  });
});

describe('heartbeat folder reports: vidsync.is_sync_folder_report / are_sync_folders and SyncFolderReport agree', () => {
  const ok = { folderId: 'videos', label: 'Videos', state: 'syncing', completion: 42.5, errors: 0, needBytes: 1024 };
  const CORPUS: unknown[] = [
    ok,
    { folderId: 'a', state: 'idle', completion: 100, errors: 0 },
    { ...ok, folderId: 'x'.repeat(limits.MAX_SYNC_FOLDER_ID_CHARS) },
    { ...ok, folderId: 'x'.repeat(limits.MAX_SYNC_FOLDER_ID_CHARS + 1) },
    { ...ok, folderId: '' },
    { ...ok, folderId: '.hidden' },
    { ...ok, folderId: 'a/b' },
    { ...ok, folderId: 7 },
    { ...ok, label: 'l'.repeat(limits.MAX_SYNC_FOLDER_LABEL_CHARS) },
    { ...ok, label: 'l'.repeat(limits.MAX_SYNC_FOLDER_LABEL_CHARS + 1) },
    { ...ok, label: 'evil\u202Egpj.exe' },
    { ...ok, label: '   ' },
    { ...ok, label: null },
    { ...ok, error: 'e'.repeat(limits.MAX_SYNC_FOLDER_ERROR_CHARS) },
    { ...ok, error: 'e'.repeat(limits.MAX_SYNC_FOLDER_ERROR_CHARS + 1) },
    { ...ok, error: 'line\nbreak' },
    ...SYNC_FOLDER_STATES.map((state) => ({ ...ok, state })),
    { ...ok, state: 'Idle' },
    { ...ok, state: '' },
    { ...ok, completion: 0 },
    { ...ok, completion: 100 },
    { ...ok, completion: 100.0001 },
    { ...ok, completion: -0.1 },
    { ...ok, completion: '50' },
    { ...ok, errors: limits.MAX_SYNC_FOLDER_ERRORS },
    { ...ok, errors: limits.MAX_SYNC_FOLDER_ERRORS + 1 },
    { ...ok, errors: 2.5 },
    { ...ok, errors: -1 },
    { ...ok, needBytes: Number.MAX_SAFE_INTEGER },
    { ...ok, needBytes: Number.MAX_SAFE_INTEGER + 1 },
    { ...ok, needBytes: 0.5 },
    { ...ok, extra: 1 },
    { folderId: 'a', state: 'idle', completion: 100 },
    'videos',
    [ok],
  ];

  it('know the same states', async () => {
    const [row] = await sql<{ states: string[] }[]>`select vidsync.sync_folder_states() as states`;
    expect(row!.states).toEqual([...SYNC_FOLDER_STATES]);
  });

  it('on a corpus of reports at and past each bound', async () => {
    const rows = await sql<{ v: boolean }[]>`
      select vidsync.is_sync_folder_report(v) as v from unnest(${CORPUS.map((c) => JSON.stringify(c))}::text[]::jsonb[]) with ordinality as x(v, n) order by n`;
    const disagreements = CORPUS.filter((c, i) => rows[i]!.v !== SyncFolderReport.safeParse(c).success);
    expect(disagreements).toEqual([]);
    expect(CORPUS.filter((c) => SyncFolderReport.safeParse(c).success).length).toBe(20); // both answers are exercised
  });

  it('on whole reports: the count and each folder once', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...ok, folderId: `f${i}` }));
    for (const folders of [[], many(limits.MAX_SYNC_FOLDERS), many(limits.MAX_SYNC_FOLDERS + 1), [ok, ok], [ok, { ...ok, folderId: 'other' }], {}]) {
      const [row] = await sql<{ v: boolean }[]>`select vidsync.are_sync_folders(${JSON.stringify(folders)}::text::jsonb) as v`;
      expect({ n: Array.isArray(folders) ? folders.length : -1, sql: row!.v }).toEqual({ n: Array.isArray(folders) ? folders.length : -1, sql: HeartbeatBody.safeParse({ folders }).success });
    }
  });

  it('device_heartbeat refuses one past the limit with VS005, and the table refuses it whoever writes', async () => {
    const device = { id: crypto.randomUUID() };
    await asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${project}, ${device.id}, ${`beat ${device.id}`}, 'key', false, '{}'::text[])`);
    const many = (n: number) => JSON.stringify({ folders: Array.from({ length: n }, (_, i) => ({ ...ok, folderId: `f${i}` })) });
    const beat = (info: string) => asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.device_heartbeat(${device.id}, ${info}::text::jsonb, '0 seconds')`);
    expect(await sqlstateOf(beat(many(limits.MAX_SYNC_FOLDERS)))).toBe('ok');
    expect(await sqlstateOf(beat(many(limits.MAX_SYNC_FOLDERS + 1)))).toBe('VS005');
    expect(await sqlstateOf(beat(JSON.stringify({ folders: [{ ...ok, state: 'dancing' }] })))).toBe('VS005');
    expect(await sqlstateOf(sql`update vidsync.devices set sync_folders = ${many(limits.MAX_SYNC_FOLDERS + 1)}::text::jsonb -> 'folders' where id = ${device.id}`)).not.toBe('ok');
  });
});
