// The answer of every route that hands a device its bundle (register, renew,
// a pinned address): JSON with the zip in base64, or, when the client asks
// for the zip itself (?format=zip, Accept: application/zip), the zip with the
// same metadata in the x-vidsync-device header.
import { bytesResponse, bytesToBase64, jsonResponse, wantsRawBundle } from '../../_shared/http/index.ts';

export function bundleAnswer(request: Request, meta: { readonly deviceId: string } & Record<string, unknown>, zip: Uint8Array, status = 200): Response {
  if (wantsRawBundle(request)) {
    const response = bytesResponse(zip, `nebula-${meta.deviceId}.zip`, status);
    response.headers.set('x-vidsync-device', JSON.stringify(meta));
    return response;
  }
  return jsonResponse({ ...meta, bundle: bytesToBase64(zip) }, status);
}
