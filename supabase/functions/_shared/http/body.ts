// Reading a JSON request body safely: a hard byte cap enforced while the body
// streams in (a lying or absent Content-Length cannot get past it), strict
// UTF-8 and JSON, then validation with a zod schema. Every failure is a
// VidsyncError with a 4xx code; bad input never becomes a 500.
import type { z } from 'zod';
import { VidsyncError } from '../errors.ts';

/**
 * Our largest legitimate body is an imported CA (certificate + key, a few KiB
 * of PEM); a registration is well under 2 KiB. 64 KiB leaves ample room while
 * bounding what one request can make us buffer and parse.
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** How many validation issues a 400 lists; one bad array can yield thousands. */
const MAX_REPORTED_ISSUES = 20;
/** Issue messages are ours, but zod quotes unknown keys: bound what we echo. */
const MAX_ISSUE_MESSAGE_CHARS = 200;

export interface ReadJsonOptions {
  maxBytes?: number;
}

export interface ValidationIssue {
  /** Dotted path into the body, e.g. `lighthouse.endpoints.0`; '' for the root. */
  path: string;
  message: string;
}

/** Reads, parses and validates the body; returns the schema's output. */
export async function readJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  opts: ReadJsonOptions = {},
): Promise<z.output<S>> {
  const maxBytes = opts.maxBytes ?? MAX_JSON_BODY_BYTES;
  requireJsonContentType(req);
  const bytes = await readCapped(req, maxBytes);
  const value = parseJson(bytes);
  return validate(schema, value);
}

/** Validates an already-parsed value (path params, query) the same way. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: truncate(issue.message, MAX_ISSUE_MESSAGE_CHARS),
  }));
  const first = issues[0];
  const summary = first ? `${first.path || 'body'}: ${first.message}` : 'invalid input';
  return throwValidation(summary, issues, result.error.issues.length);
}

function throwValidation(summary: string, issues: ValidationIssue[], total: number): never {
  throw new VidsyncError('validation_failed', `Invalid request: ${summary}`, {
    details: total > issues.length ? { issues, truncated: true } : { issues },
  });
}

function requireJsonContentType(req: Request): void {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new VidsyncError('invalid_json', 'Expected a JSON body (Content-Type: application/json).');
  }
}

/** The body's bytes, refused with 413 payload_too_large as soon as more than `maxBytes` have streamed in (the rest is never read). */
export async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new VidsyncError('payload_too_large', `The request body exceeds ${maxBytes} bytes.`, { details: { maxBytes } });

  const declared = req.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    // Do not read a byte of it; cancelling frees the connection's buffer.
    await req.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (req.body === null) return new Uint8Array(0);

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Not awaited: a clone's cancel settles only once the original is cancelled too.
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function parseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw new VidsyncError('invalid_json', 'The request body is empty.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new VidsyncError('invalid_json', 'The request body is not valid UTF-8.', { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    // The parser's message quotes the input; keep it out of the response.
    throw new VidsyncError('invalid_json', 'The request body is not valid JSON.', { cause });
  }
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
