// The shapes of what callers send to the `nebula` function, checked at the
// edge with zod before any handler logic runs. Everything is `.strict()`: an
// unknown key is a client bug we want to hear about, not silently drop.
// Certificate formats (PEM contents) are checked later by the cert library;
// here we only bound sizes and reject characters that could break the
// structure of the files we generate.
import { z } from 'zod';
import { isEndpoint, MAX_ENDPOINT_CHARS, networkOf, parseCidr, prefixWithin, type Prefix } from '../net/index.ts';
import { isSyncthingDeviceId } from '../syncthing/index.ts';

import {
  MAX_CA_PEM_CHARS,
  MAX_DEVICE_NAME_CHARS,
  MAX_LIGHTHOUSE_ENDPOINTS,
  MAX_PROJECT_NAME_CHARS,
  MAX_PUBLIC_KEY_CHARS,
  MAX_RELEASE_REASON_CHARS,
  MAX_SUBNET_PREFIX,
  MIN_SUBNET_PREFIX,
  PRIVATE_IPV4_RANGES,
  RFC1918_RANGES,
  CGNAT_RANGE,
} from '../limits.ts';
import { codePointLength, hasForbiddenTextChars, trimDisplayText } from '../display-text.ts';

/**
 * A name or note as it is stored and shown (../display-text.ts, the same rule
 * as the database's vidsync.is_display_text): no control, bidi, invisible or
 * line-breaking character, at most `maxChars` code points, not blank. The
 * parsed value is trimmed of spaces, as the database stores it.
 */
function displayText(maxChars: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .refine((s) => codePointLength(s) <= maxChars, `must be at most ${maxChars} characters`)
    .refine((s) => !hasForbiddenTextChars(s), 'must not contain control, bidirectional or invisible characters or line breaks')
    .refine((s) => trimDisplayText(s).length > 0, 'must not be blank')
    .transform(trimDisplayText);
}

/**
 * Any 8-4-4-4-12 hex id, lowercased. Postgres's uuid type accepts every such
 * value (not only RFC version 4), and a canonical lowercase form matters: the
 * project id is the associated data that binds a sealed CA key to its project.
 */
export const Uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a UUID')
  .transform((s) => s.toLowerCase());

/** `a.b.c.d/p`, host bits zero, prefix within the allowed project range. */
export const Ipv4Subnet = z.string().superRefine((s, ctx) => {
  let subnet: Prefix;
  try {
    subnet = parseCidr(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an IPv4 CIDR such as 10.99.0.0/24' });
    return;
  }
  if (subnet.prefix < MIN_SUBNET_PREFIX || subnet.prefix > MAX_SUBNET_PREFIX) {
    ctx.addIssue({ code: 'custom', message: `prefix must be between /${MIN_SUBNET_PREFIX} and /${MAX_SUBNET_PREFIX}` });
    return;
  }
  if (networkOf(subnet).address !== subnet.address) {
    ctx.addIssue({ code: 'custom', message: 'must be a network address (host bits zero)' });
    return;
  }
  if (!isPrivateIpv4Prefix(subnet)) {
    ctx.addIssue({ code: 'custom', message: `must lie in a private range (${RFC1918_RANGES.join(', ')}; ${CGNAT_RANGE} only where the deployment allows it)` });
  }
});

/** Inside RFC 1918 or RFC 6598 (../limits.ts); the deployment's settings may allow less (checked in SQL). */
export function isPrivateIpv4Prefix(subnet: Prefix): boolean {
  return PRIVATE_IPV4_RANGES.some((range) => prefixWithin(subnet, parseCidr(range)));
}

export { isEndpoint };

export const Endpoint = z
  .string()
  .max(MAX_ENDPOINT_CHARS, 'is too long')
  .refine(isEndpoint, 'must be host:port (a DNS name, an IPv4 address or [IPv6], port 1-65535)');

/** Syncthing's device ID in its display form, check characters included (../syncthing/device-id.ts). */
export const SyncthingDeviceId = z
  .string()
  .refine(isSyncthingDeviceId, 'must be a Syncthing device ID (8 dash-separated groups of 7 A-Z/2-7, with valid check characters)');

/** A PEM-looking string; its contents are parsed by the cert library. */
function pemText(maxChars: number) {
  return z
    .string()
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((s) => /-----BEGIN [A-Z0-9 ]+-----/.test(s) && /-----END [A-Z0-9 ]+-----/.test(s), 'must be PEM');
}

export const CreateProjectBody = z.strictObject({
  name: displayText(MAX_PROJECT_NAME_CHARS),
  subnet: Ipv4Subnet.optional(),
});
export type CreateProjectBody = z.output<typeof CreateProjectBody>;

export const LighthouseRequest = z.strictObject({
  endpoints: z
    .array(Endpoint)
    .min(1, 'a lighthouse needs at least one endpoint')
    .max(MAX_LIGHTHOUSE_ENDPOINTS, `at most ${MAX_LIGHTHOUSE_ENDPOINTS} endpoints`),
});
export type LighthouseRequest = z.output<typeof LighthouseRequest>;

export const RegisterBody = z.strictObject({
  projectId: Uuid,
  deviceId: Uuid,
  deviceName: displayText(MAX_DEVICE_NAME_CHARS),
  publicKey: z.string().min(1, 'must not be empty').max(MAX_PUBLIC_KEY_CHARS, `must be at most ${MAX_PUBLIC_KEY_CHARS} characters`),
  syncthingDeviceId: SyncthingDeviceId.optional(),
  lighthouse: LighthouseRequest.optional(),
});
export type RegisterBody = z.output<typeof RegisterBody>;

export const ImportCaBody = z.strictObject({
  caCertificate: pemText(MAX_CA_PEM_CHARS),
  caKey: pemText(MAX_CA_PEM_CHARS),
});
export type ImportCaBody = z.output<typeof ImportCaBody>;

/** Path parameters: `/ca/:projectId[/import]`, `/status|config|release/:deviceId`. */
export const ProjectParams = z.strictObject({ projectId: Uuid });
export type ProjectParams = z.output<typeof ProjectParams>;
export const DeviceParams = z.strictObject({ deviceId: Uuid });
export type DeviceParams = z.output<typeof DeviceParams>;

/** `POST /release|revoke/:deviceId?reason=…`: the reason is a note in the allocation history. */
export const ReasonQuery = z.object({ reason: displayText(MAX_RELEASE_REASON_CHARS).optional() });
export type ReasonQuery = z.output<typeof ReasonQuery>;
