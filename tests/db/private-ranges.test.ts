// One definition of "a private range" in two layers: the request schema's
// isPrivateIpv4Prefix (with PRIVATE_IPV4_RANGES in _shared/limits.ts) and
// SQL's vidsync.is_private_range, compared on the ranges' edges and on
// random prefixes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { isPrivateIpv4Prefix } from '../../supabase/functions/_shared/http/schemas.ts';
import { PRIVATE_IPV4_RANGES } from '../../supabase/functions/_shared/limits.ts';
import { networkOf, parseCidr } from '../../supabase/functions/_shared/net/index.ts';
import { connect } from '../support/db.ts';

let sql: Sql;
beforeAll(() => {
  sql = connect();
});
afterAll(async () => sql?.end());

const EDGES = [
  '10.0.0.0/8', '10.0.0.0/16', '10.255.255.0/24', '9.255.255.0/24', '11.0.0.0/24', '10.0.0.0/7',
  '172.16.0.0/12', '172.15.255.0/24', '172.31.255.0/24', '172.32.0.0/24', '172.0.0.0/11',
  '192.168.0.0/16', '192.168.255.252/30', '192.167.255.0/24', '192.169.0.0/24', '192.168.0.0/15',
  '100.64.0.0/10', '100.63.255.0/24', '100.127.255.0/24', '100.128.0.0/24', '100.0.0.0/9',
  '8.8.8.0/24', '127.0.0.0/24', '0.0.0.0/24', '224.0.0.0/24', '1.1.1.0/24', '169.254.0.0/16', '255.255.255.252/30',
];

function randomPrefix(): string {
  const n = Math.floor(Math.random() * 2 ** 32);
  const len = 8 + Math.floor(Math.random() * 23);
  const address = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const p = networkOf(parseCidr(`${address}/${len}`));
  return `${p.address}/${p.prefix}`;
}

describe('private ranges', () => {
  it('the schema and SQL agree on every edge and on 2,000 random prefixes', async () => {
    const prefixes = [...EDGES, ...Array.from({ length: 2000 }, randomPrefix)];
    const rows = await sql<{ p: string; private: boolean }[]>`
      select p::text, vidsync.is_private_range(p) as private from unnest(${prefixes}::cidr[]) p`;
    const disagreements = rows.filter((r) => isPrivateIpv4Prefix(parseCidr(r.p)) !== r.private).map((r) => r.p);
    expect(disagreements).toEqual([]);
    expect(rows.filter((r) => r.private).length).toBeGreaterThan(10);
  });

  it('SQL lists the same ranges as limits.ts', async () => {
    for (const range of PRIVATE_IPV4_RANGES) {
      const [row] = await sql<{ ok: boolean }[]>`select vidsync.is_private_range(${range}::cidr) as ok`;
      expect(row!.ok, range).toBe(true);
    }
  });
});
