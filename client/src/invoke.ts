// Calls the `nebula` function through supabase-js, exactly as the desktop app
// does against a hosted project, and turns every failure into a VidsyncError
// carrying the server's code.
import type { SupabaseClient } from '@supabase/supabase-js';
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js';
import { isErrorCode, VidsyncError } from '../../supabase/functions/_shared/errors.ts';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';

export async function invokeNebula<T>(
  supabase: SupabaseClient,
  path: string,
  options: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: Record<string, unknown> },
): Promise<T> {
  const { data, error } = await supabase.functions.invoke(`nebula/${path}`, options);
  if (error) throw await toVidsyncError(error);
  return data as T;
}

/** A poll's answer: the data when it changed since `etag`, and the tag to send next time. */
export type Polled<T> = { readonly changed: true; readonly etag: string; readonly data: T } | { readonly changed: false; readonly etag: string };

/** A conditional GET of the nebula function: with the last answer's ETag, an unchanged resource is a 304 without a body. */
export async function pollNebula<T>(supabase: SupabaseClient, path: string, etag: string | undefined): Promise<Polled<T>> {
  const { data, error, response } = await supabase.functions.invoke(`nebula/${path}`, {
    method: 'GET',
    headers: etag ? { 'if-none-match': etag } : {},
  });
  if (error) {
    // supabase-js counts any status outside 2xx as an error, 304 included.
    const context = error instanceof FunctionsHttpError ? (error.context as Response) : undefined;
    if (context?.status === 304) return { changed: false, etag: context.headers.get('etag') ?? etag ?? '' };
    throw await toVidsyncError(error);
  }
  return { changed: true, etag: response?.headers.get('etag') ?? '', data: data as T };
}

export async function toVidsyncError(error: unknown): Promise<VidsyncError> {
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    const requestId = response.headers.get('x-request-id') ?? undefined;
    const { code, message, details } = await readErrorAnswer(response);
    return new VidsyncError(code, message, { cause: error, details: { status: response.status, requestId, server: details } });
  }
  if (error instanceof FunctionsFetchError || error instanceof FunctionsRelayError) {
    return new VidsyncError('unreachable', `could not reach the nebula function: ${(error as Error).message}`, { cause: error });
  }
  return new VidsyncError('internal', String((error as Error)?.message ?? error), { cause: error });
}

/**
 * The code and message of a failed answer of the nebula function (its
 * `{ error: { code, message, details } }` body); `internal` and the status
 * when the body is not one.
 */
export async function readErrorAnswer(response: Response): Promise<{ code: ErrorCode; message: string; details: unknown }> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const server = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = isErrorCode(server?.code) ? server.code : 'internal';
  const message = typeof server?.message === 'string' ? server.message : `the nebula function answered ${response.status}`;
  return { code, message, details: server?.details };
}
