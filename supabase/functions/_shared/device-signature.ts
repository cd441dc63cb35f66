// The device credential's request format, as the SDK and CLI reach it: a
// public module without the JWT verifier's dependencies (see
// ./auth/device-signature.ts for the format and why).
export {
  DEVICE_AUTH_SCHEME,
  signDeviceRequest,
  SIGNATURE_WINDOW_SECONDS,
} from './auth/device-signature.ts';
