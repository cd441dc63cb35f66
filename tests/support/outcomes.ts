// What a call ended with, as a value tests can compare: our error code, or
// that it succeeded, or that something other than our error type was thrown.
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';

export type Outcome = ErrorCode | 'no error' | 'foreign error';

export async function codeOf(work: Promise<unknown>): Promise<Outcome> {
  try {
    await work;
    return 'no error';
  } catch (e) {
    return isVidsyncError(e) ? e.code : 'foreign error';
  }
}

/** Our error code, or 'no error'; any other error is thrown on, so the test shows it whole. */
export async function codeOrThrow(work: Promise<unknown>): Promise<ErrorCode | 'no error'> {
  try {
    await work;
    return 'no error';
  } catch (e) {
    if (isVidsyncError(e)) return e.code;
    throw e;
  }
}

export function codeOfSync(work: () => unknown): Outcome {
  try {
    work();
    return 'no error';
  } catch (e) {
    return isVidsyncError(e) ? e.code : 'foreign error';
  }
}

