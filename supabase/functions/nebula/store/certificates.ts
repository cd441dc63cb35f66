// Certificates issued to devices: recorded when signed, read for a device's status.
import type { Tx } from './transaction.ts';

export interface IssuedCertificateRecord {
  readonly fingerprint: string;
  readonly projectId: string;
  readonly deviceId: string;
  readonly caFingerprint: string;
  /** The host address the certificate names. */
  readonly ip: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuedBy: string | null;
  /** Kept for renewals, so a retried renewal gets the same certificate back. */
  readonly certificatePem?: string;
}

/** Records an issued certificate. service_role: users read this table, they never write it. */
export async function recordIssuedCertificate(tx: Tx, cert: IssuedCertificateRecord): Promise<void> {
  await tx`
    insert into vidsync.issued_certificates
      (fingerprint, project_id, device_id, ca_fingerprint, ip, not_before, not_after, issued_by, certificate_pem)
    values
      (${cert.fingerprint}, ${cert.projectId}, ${cert.deviceId}, ${cert.caFingerprint}, ${cert.ip}::inet,
       ${cert.notBefore}, ${cert.notAfter}, ${cert.issuedBy}, ${cert.certificatePem ?? null})
    -- Signing is deterministic: the same device registering twice within a
    -- second gets the very same certificate, already recorded.
    on conflict (fingerprint) do nothing`;
}

/** The device's unrevoked certificate that runs longest, if any (RLS: members of its project). */
export async function currentCertificate(tx: Tx, deviceId: string): Promise<{ fingerprint: string; notAfter: Date } | null> {
  const [row] = await tx<{ fingerprint: string; not_after: Date }[]>`
    select fingerprint, not_after from vidsync.issued_certificates
     where device_id = ${deviceId} and revoked_at is null
     order by not_after desc, issued_at desc limit 1`;
  return row ? { fingerprint: row.fingerprint, notAfter: row.not_after } : null;
}
