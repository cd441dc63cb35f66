// The validity policy of device certificates (supabase/functions/nebula/ca.ts):
// a short clock-skew allowance at the start, the configured lifetime, but
// never longer than a released IP cools and never past the CA's own end.
import { describe, expect, it } from 'vitest';
import { deviceCertificateValidity } from '../../supabase/functions/nebula/ca.ts';

const HOUR = 3600 * 1000;
const now = Date.UTC(2026, 10, 30, 12);
const longCa = { notBefore: new Date(now - 24 * HOUR), notAfter: new Date(now + 365 * 24 * HOUR) };

describe('deviceCertificateValidity', () => {
  it('starts five minutes early and lasts the configured lifetime', () => {
    const v = deviceCertificateValidity({ now, ca: longCa, lifetimeSeconds: 7 * 24 * 3600, ipCoolingSeconds: 7 * 24 * 3600 });
    expect(v).toEqual({ notBefore: new Date(now - 5 * 60 * 1000), notAfter: new Date(now + 7 * 24 * HOUR) });
  });

  it('never outlives the IP cooling interval', () => {
    const v = deviceCertificateValidity({ now, ca: longCa, lifetimeSeconds: 7 * 24 * 3600, ipCoolingSeconds: 3600 });
    expect(v.notAfter).toEqual(new Date(now + HOUR));
  });

  it('never starts before the CA and ends a second before it', () => {
    const ca = { notBefore: new Date(now - 60 * 1000), notAfter: new Date(now + HOUR) };
    const v = deviceCertificateValidity({ now, ca, lifetimeSeconds: 7 * 24 * 3600, ipCoolingSeconds: 7 * 24 * 3600 });
    expect(v).toEqual({ notBefore: ca.notBefore, notAfter: new Date(now + HOUR - 1000) });
  });
});
