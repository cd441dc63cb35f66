// The HTTP edge of the function: request bodies and their schemas, JSON and
// byte responses, the error body, CORS, and a small router.
export { MAX_JSON_BODY_BYTES, readJsonBody, validate } from './body.ts';
export type { ReadJsonOptions, ValidationIssue } from './body.ts';
export { corsHeaders, preflight, withCors } from './cors.ts';
export { errorResponse, HTTP_STATUS, httpStatusOf } from './errors.ts';
export type { ErrorLogger, ErrorResponseOptions } from './errors.ts';
export { bytesResponse, jsonResponse, wantsRawBundle } from './response.ts';
export { base64ToBytes, bytesToBase64 } from '../base64.ts';
export { Router } from './router.ts';
export type { Handler, Params } from './router.ts';
export {
  CreateProjectBody,
  DeviceParams,
  Endpoint,
  ImportCaBody,
  Ipv4Subnet,
  isEndpoint,
  LighthouseRequest,
  ProjectParams,
  RegisterBody,
  ReasonQuery,
  SyncthingDeviceId,
  Uuid,
} from './schemas.ts';
