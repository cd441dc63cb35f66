// Syncthing device IDs in TypeScript (_shared/syncthing/device-id.ts),
// against the real `syncthing` binary: the IDs it prints validate, and the
// ID computed from its certificate's SHA-256 is the one it prints. Near
// misses (any one character changed, wrong shapes) are refused.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSyncthingDeviceId, luhn32, syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { SyncthingDeviceId } from '../../supabase/functions/_shared/http/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { DOCS_EXAMPLE_ID, misshapen, realSyncthingIds, singleSubstitutions, withLastDataChar } from '../support/syncthing-ids.ts';
import type { RealSyncthingId } from '../support/syncthing-ids.ts';

describe.skipIf(missing(binary('syncthing')))('IDs made by the real syncthing', () => {
  let real: RealSyncthingId[];
  beforeAll(async () => {
    real = await realSyncthingIds(4);
  });

  it('validate', () => {
    for (const { deviceId } of real) expect(isSyncthingDeviceId(deviceId), deviceId).toBe(true);
  });

  it('are what we compute from the certificate', () => {
    for (const { deviceId, certSha256 } of real) expect(syncthingDeviceIdFromSha256(certSha256)).toBe(deviceId);
  });

  it('with any one character changed, are refused', () => {
    for (const { deviceId } of real) {
      const accepted = singleSubstitutions(deviceId).filter((id) => isSyncthingDeviceId(id));
      expect(accepted).toEqual([]);
    }
  });
});

describe('the rule', () => {
  it("accepts Syncthing's documented example, at the edge too", () => {
    expect(isSyncthingDeviceId(DOCS_EXAMPLE_ID)).toBe(true);
    expect(SyncthingDeviceId.safeParse(DOCS_EXAMPLE_ID).success).toBe(true);
  });

  it('refuses every single-character substitution, at the edge too', () => {
    const variants = singleSubstitutions(DOCS_EXAMPLE_ID);
    expect(variants).toHaveLength(56 * 31);
    expect(variants.filter((id) => isSyncthingDeviceId(id))).toEqual([]);
    expect(variants.filter((id) => SyncthingDeviceId.safeParse(id).success)).toEqual([]);
  });

  it('refuses wrong shapes and non-strings', () => {
    for (const id of misshapen(DOCS_EXAMPLE_ID)) expect(isSyncthingDeviceId(id), JSON.stringify(id)).toBe(false);
    for (const value of [undefined, null, 42, {}, [DOCS_EXAMPLE_ID]]) expect(isSyncthingDeviceId(value)).toBe(false);
  });

  it('refuses a right check character over a last data character with bits no digest has', () => {
    // The 52nd base32 character carries one bit of the digest and four zero bits: only A or Q.
    expect(isSyncthingDeviceId(withLastDataChar(DOCS_EXAMPLE_ID, 'Q'))).toBe(true);
    for (const c of 'BCDEFGHIJKLMNOPRSTUVWXYZ234567') expect(isSyncthingDeviceId(withLastDataChar(DOCS_EXAMPLE_ID, c)), c).toBe(false);
  });

  it('computes the check character as Syncthing does (factor from the left, not Luhn mod N from the right)', () => {
    // Groups of the documented example: 13 data characters, then the check character.
    const chars = DOCS_EXAMPLE_ID.replaceAll('-', '');
    expect([0, 1, 2, 3].map((g) => luhn32(chars.slice(g * 14, g * 14 + 13)))).toEqual([0, 1, 2, 3].map((g) => chars[g * 14 + 13]));
    expect(luhn32('AB')).toBe('6'); // 0*1 + 1*2 = 2 -> 32 - 2 = 30 -> '6'
    expect(() => luhn32('A1')).toThrow(RangeError);
  });

  it('holds for any digest: the ID of 32 random bytes validates', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const id = syncthingDeviceIdFromSha256(digest);
        return /^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/.test(id) && isSyncthingDeviceId(id);
      }),
      { numRuns: 500 },
    );
    expect(() => syncthingDeviceIdFromSha256(new Uint8Array(31))).toThrow(RangeError);
  });
});
