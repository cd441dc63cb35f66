// Syncthing device IDs, as Syncthing 1.x prints them (lib/protocol/deviceid.go
// and luhn.go in syncthing/syncthing):
//
//   id      = SHA-256 of the device's TLS certificate (DER), 32 bytes
//   base32  = RFC 4648 base32 of id, padding removed: 52 characters A-Z 2-7
//             (256 bits in 52 x 5 = 260: the last character carries one bit
//             and four zero bits, so it is always A or Q)
//   luhnify = the 52 characters in 4 groups of 13, each followed by its check
//             character: 56 characters
//   display = those 56 characters in 8 groups of 7, joined by dashes
//
// The check character is Syncthing's own "Luhn mod 32", which is not quite
// Luhn mod N: the factor starts at 1 on the LEFT (Luhn starts on the right)
// and alternates 1, 2, 1, 2…; each addend is folded as (a / 32) + (a % 32);
// the check is (32 - sum % 32) % 32. It still catches every single-character
// substitution, which is what makes a mistyped ID fail here rather than at
// Syncthing's first dial.
//
// We accept the display form only, exactly as `syncthing --device-id` prints
// it (upper case, dashes), so that one device has one spelling in the
// database and per-project uniqueness means what it says. The SQL function
// vidsync.is_syncthing_device_id (migration 20251130050000) implements the
// same rule; tests/db/syncthing-device-id.test.ts runs both on one corpus.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Display form: 8 dash-separated groups of 7 characters of the base32 alphabet. */
const DISPLAY_FORM = /^[A-Z2-7]{7}(?:-[A-Z2-7]{7}){7}$/;

/** Characters of a device ID in its display form (56 + 7 dashes). */
export const SYNCTHING_DEVICE_ID_CHARS = 63;

/** Syncthing's check character for `s` (characters of the base32 alphabet). */
export function luhn32(s: string): string {
  let factor = 1;
  let sum = 0;
  for (const ch of s) {
    const codepoint = ALPHABET.indexOf(ch);
    if (codepoint < 0) throw new RangeError(`not a base32 character: ${JSON.stringify(ch)}`);
    const addend = factor * codepoint;
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(addend / 32) + (addend % 32);
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

/** True for a device ID in Syncthing's display form whose four check characters are right. */
export function isSyncthingDeviceId(value: unknown): value is string {
  if (typeof value !== 'string' || !DISPLAY_FORM.test(value)) return false;
  const chars = value.replaceAll('-', '');
  for (let group = 0; group < 4; group++) {
    const data = chars.slice(group * 14, group * 14 + 13);
    if (luhn32(data) !== chars[group * 14 + 13]) return false;
  }
  // The 52nd base32 character holds the digest's last bit and four zero bits.
  const last = chars[54];
  return last === 'A' || last === 'Q';
}

/** The device ID of a certificate whose SHA-256 (of its DER bytes) is `digest`. */
export function syncthingDeviceIdFromSha256(digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError(`a SHA-256 digest has 32 bytes, not ${digest.length}`);
  const base32 = base32NoPadding(digest);
  let luhnified = '';
  for (let group = 0; group < 4; group++) {
    const data = base32.slice(group * 13, group * 13 + 13);
    luhnified += data + luhn32(data);
  }
  return luhnified.match(/.{7}/g)!.join('-');
}

function base32NoPadding(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
