// A project's certificate authorities as stored: the certificate, and the
// private key only sealed (see ../ca.ts). No user role may read this table;
// every function here runs as service_role (see asServiceRole), except the
// authorization check, which runs as the caller.
import { VidsyncError } from '../../_shared/errors.ts';
import type { ProjectCa, SealedCa } from '../ca.ts';
import type { Tx } from './transaction.ts';

/** Raises VS003 unless the caller can see the project, VS004 unless they may import or rotate its CA (owner/admin). Runs as the caller. */
export async function authorizeCaImport(tx: Tx, projectId: string): Promise<void> {
  await tx`select vidsync.authorize_ca_import(${projectId})`;
}

/** Stores `ca` as the project's signing CA. Earlier CAs stay trusted (not signing) while vidsync.trusted_cas says so. */
export async function insertSigningCa(tx: Tx, projectId: string, ca: SealedCa, source: 'generated' | 'imported', createdBy: string | null): Promise<void> {
  // Pipelined: one round trip for both statements, in this order.
  await Promise.all([
    tx`update vidsync.project_cas set active = false where project_id = ${projectId} and active`,
    tx`
      insert into vidsync.project_cas
        (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, active, source, created_by)
      values
        (${ca.fingerprint}, ${projectId}, ${ca.certificatePem}, ${ca.sealedPrivateKey}, ${ca.notBefore}, ${ca.notAfter}, true, ${source}, ${createdBy})`,
  ]);
}

/** The CA that signs the project's new certificates, its key still sealed. */
export async function signingCa(tx: Tx, projectId: string): Promise<SealedCa> {
  const [row] = await tx<{ fingerprint: string; certificate_pem: string; sealed_private_key: string; not_before: Date; not_after: Date }[]>`
    select fingerprint, certificate_pem, sealed_private_key, not_before, not_after
      from vidsync.project_cas
     where project_id = ${projectId} and active`;
  if (!row) throw new VidsyncError('not_found', `project ${projectId} has no certificate authority`);
  return { fingerprint: row.fingerprint, certificatePem: row.certificate_pem, sealedPrivateKey: row.sealed_private_key, notBefore: row.not_before, notAfter: row.not_after };
}

/** A trusted CA, and whether it is the one that signs new certificates. */
export interface TrustedCa extends ProjectCa {
  readonly signing: boolean;
}

/**
 * Every CA a device of the project should trust now, the signing one first:
 * the rule of vidsync.trusted_cas (unexpired, not retired, before the owner's
 * date; and signing, or not superseded by a rotation, or still needed by a
 * device's current certificate).
 */
export async function trustedCas(tx: Tx, projectId: string): Promise<TrustedCa[]> {
  const rows = await tx<{ fingerprint: string; certificate_pem: string; not_before: Date; not_after: Date; active: boolean }[]>`
    select fingerprint, certificate_pem, not_before, not_after, active from vidsync.trusted_cas(${projectId})`;
  return rows.map((r) => ({ fingerprint: r.fingerprint, certificatePem: r.certificate_pem, notBefore: r.not_before, notAfter: r.not_after, signing: r.active }));
}

/**
 * Before a rotation stores the new signing CA: every CA the project has now stays trusted, once superseded, only
 * while a device's current certificate needs it, and, given `retireAt`, until then at the latest (an earlier date
 * already set stays). Done first, so that CAs nobody needs do not count against the limit of trusted CAs.
 */
export async function supersedeEarlierCas(tx: Tx, projectId: string, retireAt: Date | null): Promise<void> {
  await tx`
    update vidsync.project_cas
       set leaves_when_unused = true,
           retire_at = case when ${retireAt}::timestamptz is null then retire_at else least(coalesce(retire_at, ${retireAt}), ${retireAt}) end
     where project_id = ${projectId} and retired_at is null`;
}

/** Retires a CA of the project now, as the caller (owner/admin): VS003 unknown, VS070 the signing CA. Returns when it was retired. */
export async function retireCa(tx: Tx, projectId: string, fingerprint: string): Promise<Date> {
  const [row] = await tx<{ retired_at: Date }[]>`select retired_at from vidsync_api.retire_ca(${projectId}, ${fingerprint})`;
  return row!.retired_at;
}
