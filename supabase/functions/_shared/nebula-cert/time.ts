// Certificates hold whole Unix seconds (Go's Time.Unix()); JS Dates hold
// milliseconds. The conversions, written once for both formats and for signing.
import { type ErrorCode, VidsyncError } from '../errors.ts';

const MAX_DATE_SECONDS = 8.64e12; // the range of a JS Date

/** Seconds of a Date, sub-second part dropped; a non-Date or invalid Date is `code`. */
export function dateToSeconds(d: Date, what: string, code: ErrorCode = 'validation_failed'): number {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new VidsyncError(code, `${what} is not a valid date`);
  return Math.floor(ms / 1000);
}

/** A decoded time; one a Date cannot hold is proto_invalid. */
export function secondsToDate(s: number): Date {
  if (Math.abs(s) > MAX_DATE_SECONDS) throw new VidsyncError('proto_invalid', `time ${s} is outside the representable range`);
  return new Date(s * 1000);
}

export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}
