// A project's certificate authorities, as its owners and admins manage them
// from a web page (the dashboard) or a backend: rotate to a new CA, retire an
// earlier one. Browser-safe: supabase-js and fetch only. Devices follow by
// themselves: their agents see the change in the config they poll, rewrite
// ca.crt and renew onto the new CA (client/src/agent/ca-rotation.ts).
import type { SupabaseClient } from '@supabase/supabase-js';
import { invokeNebula } from './invoke.ts';

/** A CA the project's devices trust. */
export interface TrustedCa {
  readonly fingerprint: string;
  /** The CA that signs new certificates (exactly one, unless it expired). */
  readonly signing: boolean;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The CA certificate, PEM. */
  readonly certificate: string;
}

export interface RotatedCa {
  readonly projectId: string;
  /** The new signing CA. */
  readonly fingerprint: string;
  readonly notAfter: string;
  readonly certificate: string;
  /** Every CA the project trusts now, the new one first. */
  readonly trusted: readonly TrustedCa[];
}

export interface RotateCaOptions {
  /**
   * The earlier CAs leave the trust set at this date at the latest, even if a
   * device still runs a certificate one of them signed (without it, each
   * leaves once no device's current certificate needs it). Now or later,
   * within a year.
   */
  readonly retireOldAt?: Date | string;
}

export interface RetiredCa {
  readonly projectId: string;
  readonly fingerprint: string;
  readonly retiredAt: string;
  /** Every CA the project trusts now. */
  readonly trusted: readonly TrustedCa[];
}

/**
 * POST /ca/:projectId/rotate (owner/admin): a new CA signs the project's
 * certificates from now on; earlier ones stay trusted while devices need them.
 * Errors: 403 forbidden (a member), 404 not_found, 409 too_many_cas.
 */
export function rotateCa(supabase: SupabaseClient, projectId: string, options: RotateCaOptions = {}): Promise<RotatedCa> {
  const retireOldAt = options.retireOldAt instanceof Date ? options.retireOldAt.toISOString() : options.retireOldAt;
  return invokeNebula<RotatedCa>(supabase, `ca/${encodeURIComponent(projectId)}/rotate`, {
    method: 'POST',
    body: retireOldAt === undefined ? {} : { retireOldAt },
  });
}

/**
 * DELETE /ca/:projectId/:fingerprint (owner/admin): the CA leaves the trust
 * set now; devices whose certificate it signed are refused by their peers
 * until they renew. Errors: 409 ca_in_use (the signing CA: rotate first),
 * 404 not_found, 403 forbidden.
 */
export function retireCa(supabase: SupabaseClient, projectId: string, fingerprint: string): Promise<RetiredCa> {
  return invokeNebula<RetiredCa>(supabase, `ca/${encodeURIComponent(projectId)}/${encodeURIComponent(fingerprint)}`, { method: 'DELETE' });
}
