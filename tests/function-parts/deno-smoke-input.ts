// The bundle both runtimes zip in the Deno smoke test: the same input must
// give the same bytes under Node and Deno.
import type { BundleInput } from '../../supabase/functions/_shared/bundle/index.ts';

export const SMOKE_PROJECT_ID = '3f2c1a9e-1111-4222-8333-abcdefabcdef';

export const SMOKE_BUNDLE_INPUT: BundleInput = {
  projectId: SMOKE_PROJECT_ID,
  deviceName: 'd',
  caPem: 'CA',
  certPem: 'CERT',
  notAfter: new Date(0),
  overlayCidr: '10.99.3.0/24',
  self: { ip: '10.99.3.7', isLighthouse: false },
  lighthouses: [],
};
