// Request shape of POST /devices/:deviceId/address, checked at the edge like ./schemas.ts.
import { z } from 'zod';
import { isIPv4 } from '../net/index.ts';

/** The address to pin the device to: one IPv4 dotted quad (the pool's rules are the database's: VS040–VS043). */
export const PinAddressBody = z.strictObject({
  ip: z.string().max(15).refine(isIPv4, { message: 'an IPv4 address a.b.c.d' }),
});
export type PinAddressBody = z.output<typeof PinAddressBody>;
