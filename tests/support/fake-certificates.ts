// Rows of vidsync.project_cas and vidsync.issued_certificates as issuance
// leaves them, without the crypto: for database suites about what SQL does
// with CAs and certificates (expiry views, revocation, reclaiming), where
// signing real ones would only slow them down.
import type { Sql } from 'postgres';

let fingerprints = 0;

/** A fingerprint no other fake row of this run has. */
export function fakeFingerprint(): string {
  return (++fingerprints).toString(16).padStart(64, '0');
}

/** How long ago a row became valid and how long it stays valid from now, as Postgres intervals ('1 day', '90 seconds'). */
export interface Validity {
  since: string;
  until: string;
}

/** A generated CA of the project, valid as given; returns its fingerprint. */
export async function insertFakeCa(sql: Sql, projectId: string, validity: Validity): Promise<string> {
  const fingerprint = fakeFingerprint();
  await sql`insert into vidsync.project_cas (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, source)
            values (${fingerprint}, ${projectId}, 'pem', 'v1.sealed', now() - ${validity.since}::interval, now() + ${validity.until}::interval, 'generated')`;
  return fingerprint;
}

/** A certificate issued to a device at its address by the CA given, valid as given; returns its fingerprint. */
export async function insertFakeCertificate(sql: Sql, cert: { projectId: string; deviceId: string; caFingerprint: string; ip: string } & Validity): Promise<string> {
  const fingerprint = fakeFingerprint();
  await sql`insert into vidsync.issued_certificates (fingerprint, project_id, device_id, ca_fingerprint, ip, not_before, not_after)
            values (${fingerprint}, ${cert.projectId}, ${cert.deviceId}, ${cert.caFingerprint}, ${cert.ip}::inet, now() - ${cert.since}::interval, now() + ${cert.until}::interval)`;
  return fingerprint;
}
