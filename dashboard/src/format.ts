// How times and counts read on the page. Pure functions of their inputs and
// `now`, so the page says "in 29 days" and "12 s ago" the same way everywhere.

const UNITS: [number, string][] = [
  [365 * 86400, 'y'],
  [30 * 86400, 'mo'],
  [86400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** "3 d", "5 h", "42 s": the largest whole unit of a span in seconds. */
export function span(seconds: number): string {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  for (const [size, unit] of UNITS) if (s >= size) return `${Math.floor(s / size)} ${unit}`;
  return '0 s';
}

/** "12 s ago", or "never" for null. */
export function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  return `${span((now - Date.parse(iso)) / 1000)} ago`;
}

/** How long until `iso`: "29 d left", or "expired 2 d ago". */
export function timeLeft(iso: string | null, now: number): string {
  if (iso === null) return '—';
  const seconds = (Date.parse(iso) - now) / 1000;
  return seconds > 0 ? `${span(seconds)} left` : `expired ${span(seconds)} ago`;
}

/**
 * Less validity left than this reads as a warning: a device certificate
 * lives days and its agent renews it well before the end, so under two days
 * means renewal is not happening; a CA lives a year or more, and a month is
 * the time an owner needs to rotate it.
 */
export const WARN_BEFORE_SECONDS = { certificate: 2 * 86400, ca: 30 * 86400 } as const;

export function expiresSoon(iso: string | null, now: number, what: keyof typeof WARN_BEFORE_SECONDS): boolean {
  return iso !== null && Date.parse(iso) - now < WARN_BEFORE_SECONDS[what] * 1000;
}

/** A Syncthing device ID's first group, enough to recognise it: "MFZWI3D-…". */
export function shortSyncthingId(id: string | null): string {
  return id === null ? '—' : `${id.slice(0, 7)}…`;
}
