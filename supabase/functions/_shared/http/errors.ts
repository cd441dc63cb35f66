// The one place that turns a thrown value into an HTTP error response
// `{ "error": { "code", "message", "details"? } }`. Callers' mistakes keep
// their message; anything unforeseen becomes a 500 `internal` with a generic
// message, and the real error goes to the injected logger under a request id
// that is also returned in the `x-request-id` header.
import { fromPostgresError, isVidsyncError, VidsyncError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { jsonResponse } from './response.ts';

/**
 * What each code means over HTTP. A Record over every code: a new code does
 * not compile until it has a status here. 5xx codes are never the caller's
 * doing: their message is replaced by a generic one and logged.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  pem_invalid: 400,
  pem_banner: 400,
  key_length: 400,
  proto_truncated: 400,
  proto_noncanonical: 400,
  proto_trailing_data: 400,
  proto_invalid: 400,
  cert_expired: 400,
  cert_not_yet_valid: 400,
  cert_signature_invalid: 400,
  cert_blocklisted: 400,
  cert_issuer_unknown: 400,
  cert_not_ca: 400,
  ca_expired: 400,
  ca_constraint_ip: 400,
  ca_constraint_subnet: 400,
  ca_constraint_group: 400,
  ca_constraint_validity: 400,
  ca_key_mismatch: 400,
  ca_not_yet_valid: 400,
  ca_lifetime_too_long: 400,
  address_out_of_pool: 400,
  address_reserved: 400,
  project_name_mismatch: 400,
  unauthorized: 401,
  signature_invalid: 401,
  signature_expired: 401,
  signature_replayed: 401,
  device_mismatch: 403,
  credential_revoked: 403,
  device_revoked: 410,
  forbidden: 403,
  anonymous_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  pool_exhausted: 409,
  subnet_overlap: 409,
  subnet_conflict: 409,
  quota_exceeded: 409,
  device_name_taken: 409,
  too_many_cas: 409,
  address_taken: 409,
  address_cooling: 409,
  last_owner: 409,
  ca_in_use: 409,
  invite_unknown: 404,
  invite_expired: 410,
  invite_revoked: 410,
  invite_used_up: 410,
  payload_too_large: 413,
  rate_limited: 429,
  input_too_large: 413,
  master_key_invalid: 500,
  ca_key_unreadable: 500,
  master_key_unknown: 500,
  internal: 500,
  bundle_rejected: 502,
  not_registered: 404,
  unreachable: 503,
  not_configured: 503,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** Where unexpected errors are reported. `console` fits; tests pass a spy. */
export interface ErrorLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ErrorResponseOptions {
  /** Correlates the response with the log line; generated when absent. */
  requestId?: string;
  logger?: ErrorLogger;
}

const GENERIC_MESSAGE = 'Something went wrong on our side; quote the request id when reporting it.';

/** Turns anything thrown by a handler into the error JSON response. */
export function errorResponse(err: unknown, opts: ErrorResponseOptions = {}): Response {
  const requestId = opts.requestId ?? crypto.randomUUID();
  const known = toVidsyncError(err);
  const headers: Record<string, string> = { 'x-request-id': requestId };
  // A rate-limited caller learns when to come back.
  const retryAfter = known?.code === 'rate_limited' ? known.details?.retryAfterSeconds : undefined;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);

  const status = known ? httpStatusOf(known.code) : 500;
  if (known && status < 500) {
    const body: { code: string; message: string; details?: Record<string, unknown> } = {
      code: known.code,
      message: known.message,
    };
    // Postgres details carry the SQLSTATE only; other details are built by us
    // for the caller (e.g. validation issues) and never hold secrets.
    if (known.details) body.details = known.details;
    return jsonResponse({ error: body }, status, headers);
  }

  // Server-side failures: the caller learns the code and the request id only.
  (opts.logger ?? console).error('request failed', { requestId, error: describe(err) });
  const code = known?.code ?? 'internal';
  return jsonResponse({ error: { code, message: GENERIC_MESSAGE } }, status, headers);
}

function toVidsyncError(err: unknown): VidsyncError | undefined {
  if (isVidsyncError(err)) return err;
  return fromPostgresError(err);
}

/**
 * What we log of an error: its name, code, message and stack, and the same for
 * its causes. Never the error's own enumerable fields, which for a Postgres
 * error include query parameters (and so could include sealed keys).
 */
function describe(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: typeof err };
  const out: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (err.cause !== undefined && depth < 3) out.cause = describe(err.cause, depth + 1);
  return out;
}
