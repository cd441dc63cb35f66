// The one error type of the project. Every failure that a caller may act on
// carries a stable `code`; tests and clients switch on the code, never on the
// message. The HTTP mapping of codes (and of Postgres SQLSTATEs) lives in one
// place too: `httpStatusOf` below and `fromPostgresError`.

export const ERROR_CODES = {
  // Input that does not parse or validate.
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  payload_too_large: 413,

  // Who is calling.
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,

  // State conflicts.
  conflict: 409,
  pool_exhausted: 409,
  subnet_overlap: 409,
  already_exists: 409,
  method_not_allowed: 405,

  // Certificate and key formats (parsing never throws anything else).
  pem_invalid: 400,
  pem_banner: 400,
  key_length: 400,
  proto_truncated: 400,
  proto_noncanonical: 400,
  proto_trailing_data: 400,
  proto_invalid: 400,
  input_too_large: 413,

  // Certificate semantics: signing constraints and verification.
  cert_expired: 400,
  cert_not_yet_valid: 400,
  cert_signature_invalid: 400,
  cert_blocklisted: 400,
  cert_issuer_unknown: 400,
  cert_not_ca: 400,
  cert_is_ca: 400,
  ca_expired: 400,
  ca_constraint_ip: 400,
  ca_constraint_subnet: 400,
  ca_constraint_group: 400,
  ca_constraint_validity: 400,
  ca_key_mismatch: 400,

  // Local files (CLI, SDK).
  file_exists: 409,
  file_io: 500,

  // Sealed CA keys (server configuration and storage, never the caller's doing).
  master_key_invalid: 500,
  ca_key_unreadable: 500,

  // The SDK could not reach the function at all.
  unreachable: 503,
  // The SDK refused what the server sent (a bundle that does not verify for
  // this device): nothing was installed. A fault of the server, not the caller.
  bundle_rejected: 502,

  // Something we did not foresee; details are logged, not returned.
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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

  get status(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isVidsyncError(e: unknown, code?: ErrorCode): e is VidsyncError {
  return e instanceof VidsyncError && (code === undefined || e.code === code);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
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
  '23P01': 'subnet_overlap', // exclusion_violation: the projects' subnet constraint
  '23505': 'conflict', // unique_violation
  '23503': 'not_found', // foreign_key_violation: a referenced row is gone
  '42501': 'forbidden', // insufficient_privilege, including RLS refusals
  '22P02': 'validation_failed', // invalid_text_representation (bad uuid, bad inet)
};

/** Maps an error thrown by postgres.js (it has `code`: the SQLSTATE) to ours. */
export function fromPostgresError(e: unknown): VidsyncError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const sqlstate = (e as { code?: unknown }).code;
  if (typeof sqlstate !== 'string') return undefined;
  const code = SQLSTATE_CODES[sqlstate];
  if (!code) return undefined;
  const message = (e as { message?: unknown }).message;
  return new VidsyncError(code, typeof message === 'string' ? message : code, { cause: e, details: { sqlstate } });
}
