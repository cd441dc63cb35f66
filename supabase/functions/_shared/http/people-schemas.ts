// Request shapes of the people routes (invites, POST /join, members),
// checked at the edge like ./schemas.ts. The bounds are the SQL's too
// (vidsync_api.create_invite raises VS005 outside them).
import { z } from 'zod';
import { Uuid } from './schemas.ts';

export const MIN_INVITE_SECONDS = 60;
/** 30 days: an invite that lives longer is a standing password, not an invitation. */
export const MAX_INVITE_SECONDS = 30 * 24 * 3600;
export const MAX_INVITE_USES = 1000;

/** POST /projects/:projectId/invites */
export const CreateInviteBody = z.strictObject({
  role: z.enum(['admin', 'member']),
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES),
  expiresInSeconds: z.number().int().min(MIN_INVITE_SECONDS).max(MAX_INVITE_SECONDS),
});
export type CreateInviteBody = z.output<typeof CreateInviteBody>;

/** RFC 4648 base32: no 0, 1, 8 or 9, so a typed code has nothing to confuse. */
export const INVITE_CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 25 characters of 5 bits: 125 bits, typed as five groups of five. */
export const INVITE_CODE_CHARS = 25;
const INVITE_CODE_GROUP = 5;

/**
 * A code as a person typed or pasted it, in its one canonical form
 * (`ABCDE-FGHIJ-KLMNO-PQRST-UVWXY`): case, spaces and dashes do not matter,
 * and the digits people read for letters (0 O, 1 I, 8 B) are the letters.
 * Undefined when it cannot be a code.
 */
export function canonicalInviteCode(typed: string): string | undefined {
  const chars = typed.toUpperCase().replace(/[\s-]/g, '').replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
  if (chars.length !== INVITE_CODE_CHARS || ![...chars].every((c) => INVITE_CODE_ALPHABET.includes(c))) return undefined;
  return chars.match(new RegExp(`.{${INVITE_CODE_GROUP}}`, 'g'))!.join('-');
}

/** POST /join — the code, in any of the forms canonicalInviteCode accepts. */
export const JoinBody = z.strictObject({
  code: z.string().max(64).transform((typed, ctx) => {
    const code = canonicalInviteCode(typed);
    if (!code) {
      ctx.addIssue({ code: 'custom', message: `an invite code is ${INVITE_CODE_CHARS} letters A-Z and digits 2-7, e.g. ABCDE-FGHIJ-KLMNO-PQRST-UVWXY` });
      return z.NEVER;
    }
    return code;
  }),
});
export type JoinBody = z.output<typeof JoinBody>;

/** Path parameters: `/projects/:projectId/invites/:inviteId`. */
export const InviteParams = z.strictObject({ projectId: Uuid, inviteId: Uuid });
export type InviteParams = z.output<typeof InviteParams>;

/** Path parameters: `/projects/:projectId/members/:userId`. */
export const MemberParams = z.strictObject({ projectId: Uuid, userId: Uuid });
export type MemberParams = z.output<typeof MemberParams>;
