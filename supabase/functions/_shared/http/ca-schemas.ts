// Request shapes of CA rotation and retirement (POST /ca/:projectId/rotate,
// DELETE /ca/:projectId/:fingerprint), checked at the edge like ./schemas.ts.
import { z } from 'zod';
import { Uuid } from './schemas.ts';

/** A date the owner sets for the old CAs to leave the trust set may lie at most this far ahead: past it they expire anyway, or it is a typo. */
export const MAX_RETIRE_AHEAD_SECONDS = 366 * 24 * 3600;

/** POST /ca/:projectId/rotate — optional `{ retireOldAt }`: an ISO date, now or later, within a year. */
export const RotateCaBody = z.strictObject({
  retireOldAt: z
    .string()
    .max(40)
    .refine((text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)), 'an ISO 8601 date and time, e.g. 2026-12-31T00:00:00Z')
    .transform((text) => new Date(Date.parse(text)))
    .refine((at) => at.getTime() > Date.now() - 60_000, 'must not lie in the past (retire a CA now with DELETE /ca/:projectId/:fingerprint)')
    .refine((at) => at.getTime() <= Date.now() + MAX_RETIRE_AHEAD_SECONDS * 1000, 'must lie within a year')
    .optional(),
});
export type RotateCaBody = z.output<typeof RotateCaBody>;

/** `/ca/:projectId/:fingerprint` — a CA by its SHA-256 fingerprint, lowercase hex as GET /ca shows it. */
export const CaParams = z.strictObject({
  projectId: Uuid,
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'a CA fingerprint: 64 lowercase hex digits'),
});
export type CaParams = z.output<typeof CaParams>;
