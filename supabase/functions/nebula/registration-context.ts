// Everything a registration reads besides the allocation, in one statement:
// the signing CA (sealed), every CA the device must trust, the project's
// lighthouses and the IP cooling interval. One round trip instead of four
// keeps a registration's cost low (see scripts/bench/api.ts).
import { VidsyncError } from '../_shared/errors.ts';
import type { LighthouseInfo } from '../_shared/bundle/index.ts';
import type { Tx } from './db.ts';
import type { CaSummary, SealedCa } from './ca-store.ts';

export interface RegistrationContext {
  readonly signing: SealedCa;
  readonly trusted: CaSummary[];
  readonly lighthouses: LighthouseInfo[];
  /** Released IPs cool this long; no certificate may outlive it. */
  readonly coolingSeconds: number;
}

interface Row {
  signing: SealedCa | null;
  trusted: { fingerprint: string; certificatePem: string; notBefore: string; notAfter: string }[];
  lighthouses: LighthouseInfo[];
  cooling_seconds: number;
}

/** Runs as service_role: it reads the sealed CA key. */
export async function loadRegistrationContext(tx: Tx, projectId: string): Promise<RegistrationContext> {
  const [row] = await tx<Row[]>`
    select
      (select json_build_object('fingerprint', c.fingerprint, 'certificatePem', c.certificate_pem, 'sealedPrivateKey', c.sealed_private_key)
         from vidsync.project_cas c where c.project_id = ${projectId} and c.active) as signing,
      coalesce((select json_agg(json_build_object('fingerprint', c.fingerprint, 'certificatePem', c.certificate_pem,
                                                  'notBefore', c.not_before, 'notAfter', c.not_after)
                                order by c.active desc, c.created_at desc)
                  from vidsync.project_cas c where c.project_id = ${projectId} and c.not_after > now()), '[]') as trusted,
      coalesce((select json_agg(json_build_object('ip', host(d.overlay_ip), 'endpoints', d.lighthouse_endpoints) order by d.overlay_ip)
                  from vidsync.devices d
                 where d.project_id = ${projectId} and d.is_lighthouse and d.overlay_ip is not null), '[]') as lighthouses,
      (select extract(epoch from s.cooling_interval)::integer from vidsync.settings s) as cooling_seconds`;
  if (!row?.signing) throw new VidsyncError('not_found', `project ${projectId} has no certificate authority`);
  return {
    signing: row.signing,
    trusted: row.trusted.map((c) => ({ fingerprint: c.fingerprint, certificatePem: c.certificatePem, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) })),
    lighthouses: row.lighthouses,
    coolingSeconds: row.cooling_seconds,
  };
}
