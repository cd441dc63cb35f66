// Each project has its own Nebula CA, so a device of one project can never
// complete a handshake with a device of another. The CA's private key is kept
// only sealed (AES-256-GCM under the function's master key, bound to the
// project id); this module is the one place that opens it, and it never
// returns or logs the key.
import { openCaKey, sealCaKey } from '../_shared/secrets/index.ts';
import type { Tx } from './db.ts';
import type { NebulaSettings } from './settings.ts';
import { createProjectCa, openSigningCa, readCaForImport } from './signing.ts';
import type { SigningCa } from './signing.ts';

export interface CaSummary {
  readonly fingerprint: string;
  readonly certificatePem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CA row as stored: the key still sealed. */
export interface SealedCa {
  readonly fingerprint: string;
  readonly certificatePem: string;
  readonly sealedPrivateKey: string;
}

/** Opened CAs are cached by fingerprint (content-addressed, so never stale); bounded. */
const MAX_CACHED_CAS = 256;

export class CaStore {
  readonly #masterKey: CryptoKey;
  readonly #settings: NebulaSettings;
  readonly #opened = new Map<string, Promise<SigningCa>>();

  constructor(masterKey: CryptoKey, settings: NebulaSettings) {
    this.#masterKey = masterKey;
    this.#settings = settings;
  }

  /** Creates the project's first CA, constrained to the project's subnet. Runs as service_role. */
  async create(tx: Tx, project: { id: string; name: string; subnet: string }, createdBy: string | null): Promise<CaSummary> {
    const ca = await createProjectCa({
      name: `vidsync project ${project.id}`,
      subnet: project.subnet,
      lifetimeSeconds: this.#settings.caLifetimeSeconds,
    });
    await this.#store(tx, project.id, ca.certificatePem, ca.privateKeyPem, ca.fingerprint, ca.notBefore, ca.notAfter, 'generated', createdBy);
    return { fingerprint: ca.fingerprint, certificatePem: ca.certificatePem, notBefore: ca.notBefore, notAfter: ca.notAfter };
  }

  /**
   * Imports an existing CA (nebula-cert's ca.crt + ca.key). It becomes the
   * signing CA; earlier CAs stay trusted until they expire, so devices with
   * older certificates keep working during the switch.
   */
  async import(
    tx: Tx,
    project: { id: string; subnet: string },
    certificatePem: string,
    privateKeyPem: string,
    importedBy: string | null,
  ): Promise<CaSummary> {
    const ca = await readCaForImport(certificatePem, privateKeyPem, project.subnet, new Date());
    await tx`update vidsync.project_cas set active = false where project_id = ${project.id} and active`;
    await this.#store(tx, project.id, ca.certificatePem, privateKeyPem, ca.fingerprint, ca.notBefore, ca.notAfter, 'imported', importedBy);
    return ca;
  }

  /** Opens a project's signing CA from its sealed row (see registration-context.ts). */
  open(projectId: string, ca: SealedCa): Promise<SigningCa> {
    return this.#open(projectId, ca.fingerprint, ca.certificatePem, ca.sealedPrivateKey);
  }

  /** Every CA a device of the project should trust now: the signing one first. */
  async trusted(tx: Tx, projectId: string): Promise<CaSummary[]> {
    const rows = await tx<{ fingerprint: string; certificate_pem: string; not_before: Date; not_after: Date }[]>`
      select fingerprint, certificate_pem, not_before, not_after
        from vidsync.project_cas
       where project_id = ${projectId} and not_after > now()
       order by active desc, created_at desc`;
    return rows.map((r) => ({ fingerprint: r.fingerprint, certificatePem: r.certificate_pem, notBefore: r.not_before, notAfter: r.not_after }));
  }

  async #store(
    tx: Tx,
    projectId: string,
    certificatePem: string,
    privateKeyPem: string,
    fingerprint: string,
    notBefore: Date,
    notAfter: Date,
    source: 'generated' | 'imported',
    createdBy: string | null,
  ): Promise<void> {
    const sealed = await sealCaKey(this.#masterKey, privateKeyPem, projectId);
    await tx`
      insert into vidsync.project_cas
        (fingerprint, project_id, certificate_pem, sealed_private_key, not_before, not_after, active, source, created_by)
      values
        (${fingerprint}, ${projectId}, ${certificatePem}, ${sealed}, ${notBefore}, ${notAfter}, true, ${source}, ${createdBy})`;
  }

  #open(projectId: string, fingerprint: string, certificatePem: string, sealed: string): Promise<SigningCa> {
    const cached = this.#opened.get(fingerprint);
    if (cached) return cached;
    const opening = (async () => {
      const privateKeyPem = await openCaKey(this.#masterKey, sealed, projectId);
      return openSigningCa(certificatePem, privateKeyPem);
    })();
    opening.catch(() => this.#opened.delete(fingerprint));
    if (this.#opened.size >= MAX_CACHED_CAS) {
      const oldest = this.#opened.keys().next().value;
      if (oldest !== undefined) this.#opened.delete(oldest);
    }
    this.#opened.set(fingerprint, opening);
    return opening;
  }
}
