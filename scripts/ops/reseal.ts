// Re-sealing every project's CA key under the newest master key, the step
// between adding a new master key and retiring the old one (README: "CA
// master keys"). Each row is opened with whichever key sealed it and sealed
// again with the newest, in its own short transaction, and only if the row
// still holds what was read (compare-and-set): a run can stop anywhere and
// start again, run twice, or run next to the live function (which keeps
// signing with either key meanwhile), and it never loses or doubles work.
import type { Sql } from 'postgres';
import { openCaKey, sealCaKey, sealedKeyId } from '../../supabase/functions/_shared/secrets/index.ts';
import type { MasterKeyring } from '../../supabase/functions/_shared/secrets/index.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';

export interface ResealOptions {
  /** Rows read per query (default 100). */
  readonly batchSize?: number;
  /** Stop after this many re-sealed rows (tests interrupt a run this way). */
  readonly limit?: number;
  /** Called once per re-sealed or failed row. */
  readonly onRow?: (row: { fingerprint: string; projectId: string; from: string | null; outcome: 'resealed' | 'changed meanwhile' | string }) => void;
}

export interface ResealReport {
  /** Rows now sealed under the newest key by this run. */
  readonly resealed: number;
  /** Rows another writer changed between our read and our write (the next run sees them again). */
  readonly skipped: number;
  /** Rows no key of the keyring opens, with the reason (e.g. master_key_unknown and the key id). */
  readonly failed: ReadonlyArray<{ fingerprint: string; projectId: string; code: string; message: string }>;
  /** Rows still sealed under another key than the newest, after this run. */
  readonly remaining: number;
}

/** How many CA keys each master key id seals ('v1' for the legacy format without an id). */
export async function sealedKeyCounts(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ key_id: string; n: string }[]>`
    select case when sealed_private_key like 'v2.%' then split_part(sealed_private_key, '.', 2) else 'v1' end as key_id, count(*) as n
      from vidsync.project_cas group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.key_id, Number(r.n)]));
}

export async function resealCaKeys(sql: Sql, keyring: MasterKeyring, options: ResealOptions = {}): Promise<ResealReport> {
  const batchSize = options.batchSize ?? 100;
  const newest = `v2.${keyring.sealing.id}.%`;
  let resealed = 0;
  let skipped = 0;
  const failed: { fingerprint: string; projectId: string; code: string; message: string }[] = [];
  // Keyset pagination by fingerprint: rows that fail stay behind us, rows re-sealed drop out of the filter.
  let after = '';
  for (;;) {
    if (options.limit !== undefined && resealed >= options.limit) break;
    const rows = await sql<{ fingerprint: string; project_id: string; sealed_private_key: string }[]>`
      select fingerprint, project_id, sealed_private_key
        from vidsync.project_cas
       where sealed_private_key not like ${newest} and fingerprint > ${after}
       order by fingerprint
       limit ${batchSize}`;
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.fingerprint;
      if (options.limit !== undefined && resealed >= options.limit) break;
      const from = sealedKeyId(row.sealed_private_key);
      let again: string;
      try {
        again = await sealCaKey(keyring, await openCaKey(keyring, row.sealed_private_key, row.project_id), row.project_id);
      } catch (error) {
        if (!isVidsyncError(error)) throw error;
        failed.push({ fingerprint: row.fingerprint, projectId: row.project_id, code: error.code, message: error.message });
        options.onRow?.({ fingerprint: row.fingerprint, projectId: row.project_id, from, outcome: error.code });
        continue;
      }
      const updated = await sql`
        update vidsync.project_cas set sealed_private_key = ${again}
         where fingerprint = ${row.fingerprint} and sealed_private_key = ${row.sealed_private_key}`;
      if (updated.count === 1) resealed++;
      else skipped++;
      options.onRow?.({ fingerprint: row.fingerprint, projectId: row.project_id, from, outcome: updated.count === 1 ? 'resealed' : 'changed meanwhile' });
    }
  }
  const [left] = await sql<{ n: string }[]>`select count(*) as n from vidsync.project_cas where sealed_private_key not like ${newest}`;
  return { resealed, skipped, failed, remaining: Number(left!.n) };
}
