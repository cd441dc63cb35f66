// The one error type of the project. Every failure that a caller may act on
// carries a stable `code`; tests and clients switch on the code, never on the
// message. What a code means over HTTP is the HTTP edge's business
// (http/errors.ts); here, only the codes and the Postgres SQLSTATEs that map
// to them (`fromPostgresError`).

export const ERROR_CODES = [
  // Input that does not parse or validate.
  'bad_request',
  'invalid_json',
  'validation_failed',
  'payload_too_large',

  // Who is calling.
  'unauthorized',
  'forbidden',
  'not_found',
  // A signed-in anonymous user (Supabase's anonymous sign-ins) where a real account is required.
  'anonymous_not_allowed',

  // State conflicts.
  'conflict',
  'pool_exhausted',
  'subnet_overlap',
  // A user's device would join a project whose subnet overlaps another project where that user has devices.
  'subnet_conflict',
  // A quota of vidsync.settings (projects per user, devices per project or per member).
  'quota_exceeded',
  // A token bucket of vidsync.rate_limits is empty; the response says when to retry (Retry-After).
  'rate_limited',
  'method_not_allowed',
  // Another live device of the project has this name (compared case-insensitively, NFKC-normalized).
  'device_name_taken',
  // The project already trusts as many CAs as a bundle may carry (limits.ts MAX_TRUSTED_CAS).
  'too_many_cas',
  // A chosen address (POST /devices/:id/address): held by another device, still cooling after a release,
  // not in the project's subnet, or the subnet's network or broadcast address.
  'address_taken',
  'address_cooling',
  'address_out_of_pool',
  'address_reserved',
  // Invites (POST /join): expired, revoked by an owner or admin, redeemed max_uses times, no such code.
  'invite_expired',
  'invite_revoked',
  'invite_used_up',
  'invite_unknown',
  // The project's last owner cannot leave or be removed.
  'last_owner',
  // DELETE /projects/:id: the confirmation is not the project's name.
  'project_name_mismatch',
  // The CA signs the project's certificates: rotate to a new one before retiring it.
  'ca_in_use',

  // The device lifecycle: a revoked or released device, and device-signed requests.
  'device_revoked',
  'signature_invalid',
  'signature_expired',
  'signature_replayed',
  'device_mismatch',
  'credential_revoked',

  // Certificate and key formats (parsing never throws anything else).
  'pem_invalid',
  'pem_banner',
  'key_length',
  'proto_truncated',
  'proto_noncanonical',
  'proto_trailing_data',
  'proto_invalid',
  'input_too_large',

  // Certificate semantics: signing constraints and verification.
  'cert_expired',
  'cert_not_yet_valid',
  'cert_signature_invalid',
  'cert_blocklisted',
  'cert_issuer_unknown',
  'cert_not_ca',
  'ca_expired',
  'ca_constraint_ip',
  'ca_constraint_subnet',
  'ca_constraint_group',
  'ca_constraint_validity',
  'ca_key_mismatch',
  // An imported CA that is not valid yet, or valid for longer than the deployment allows.
  'ca_not_yet_valid',
  'ca_lifetime_too_long',

  // Sealed CA keys (server configuration and storage, never the caller's doing).
  'master_key_invalid',
  'ca_key_unreadable',
  // A CA key sealed with a master key this deployment no longer holds (retired too early).
  'master_key_unknown',

  // The function's secrets or settings are missing or malformed: every request
  // gets this until they are fixed (one log line at start names what is wrong).
  'not_configured',

  // The SDK could not reach the function at all.
  'unreachable',
  // The SDK refused what the server sent (a bundle that does not verify for
  // this device): nothing was installed. A fault of the server, not the caller.
  'bundle_rejected',
  // The SDK finds no registration of this device in the project on this
  // machine (no device.json in the project's directory): register first.
  'not_registered',

  // Something we did not foresee; details are logged, not returned.
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** A code string from elsewhere (a server's answer) that is one of ours. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

export class VidsyncError extends Error {
  override readonly name = 'VidsyncError';
  readonly code: ErrorCode;
  /** Extra machine-readable facts (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isVidsyncError(e: unknown, code?: ErrorCode): e is VidsyncError {
  return e instanceof VidsyncError && (code === undefined || e.code === code);
}

/**
 * SQLSTATEs our SQL raises (`raise exception using errcode = 'VS001'`), and the
 * standard ones a request can trigger. Class "VS" is ours: Postgres reserves
 * no user class, and two letters no standard class uses keep them apart.
 */
export const SQLSTATE_CODES: Record<string, ErrorCode> = {
  VS001: 'pool_exhausted',
  VS002: 'subnet_overlap',
  VS003: 'not_found',
  VS004: 'forbidden',
  VS005: 'validation_failed',
  VS006: 'conflict',
  VS020: 'device_revoked',
  VS010: 'subnet_conflict',
  VS011: 'quota_exceeded',
  VS030: 'device_name_taken',
  VS031: 'too_many_cas',
  VS032: 'ca_not_yet_valid',
  VS033: 'ca_lifetime_too_long',
  VS040: 'address_taken',
  VS041: 'address_cooling',
  VS042: 'address_out_of_pool',
  VS043: 'address_reserved',
  VS050: 'invite_expired',
  VS051: 'invite_revoked',
  VS052: 'invite_used_up',
  VS053: 'invite_unknown',
  VS054: 'last_owner',
  VS055: 'project_name_mismatch',
  VS070: 'ca_in_use',
  '23P01': 'subnet_overlap', // exclusion_violation: one owner's project subnets (vidsync.user_subnets)
  '23505': 'conflict', // unique_violation
  '23503': 'not_found', // foreign_key_violation: a referenced row is gone
  '42501': 'forbidden', // insufficient_privilege, including RLS refusals
  // Data exceptions: values Postgres cannot take. The edge checks what it
  // can first; these keep anything it misses a 400, never a 500.
  '22P02': 'validation_failed', // invalid_text_representation (bad uuid, bad inet)
  '22021': 'validation_failed', // character_not_in_repertoire (a NUL in text)
  '22P05': 'validation_failed', // untranslatable_character
  '22001': 'validation_failed', // string_data_right_truncation
  '22003': 'validation_failed', // numeric_value_out_of_range
  '22007': 'validation_failed', // invalid_datetime_format
  '22008': 'validation_failed', // datetime_field_overflow
  '22009': 'validation_failed', // invalid_time_zone_displacement_value (a year past 9999 as JavaScript writes it)
};

/**
 * Unique constraints whose violation means something a caller can act on:
 * a concurrent request got past the SQL's own check first.
 */
const CONSTRAINT_CODES: Record<string, ErrorCode> = {
  devices_live_name_unique: 'device_name_taken',
};

/**
 * What a caller is told for an integrity violation (class 23): Postgres's own
 * message names the constraint and the key, which is ours to know, not theirs.
 */
const NEUTRAL_MESSAGES: Partial<Record<ErrorCode, string>> = {
  conflict: 'the request conflicts with existing data',
  subnet_overlap: 'the subnet overlaps another project\'s subnet',
  not_found: 'a row the request refers to does not exist',
  device_name_taken: 'another device of the project has this name',
};

/** Maps an error thrown by postgres.js (it has `code`: the SQLSTATE) to ours. */
export function fromPostgresError(e: unknown): VidsyncError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const sqlstate = (e as { code?: unknown }).code;
  if (typeof sqlstate !== 'string') return undefined;
  const constraint = (e as { constraint_name?: unknown }).constraint_name;
  const code = (typeof constraint === 'string' ? CONSTRAINT_CODES[constraint] : undefined) ?? SQLSTATE_CODES[sqlstate];
  if (!code) return undefined;
  const raw = (e as { message?: unknown }).message;
  const message = sqlstate.startsWith('23') ? (NEUTRAL_MESSAGES[code] ?? code) : typeof raw === 'string' ? raw : code;
  return new VidsyncError(code, message, { cause: e, details: { sqlstate } });
}
